{#-
    One row per programme member from a ledger (mart_loyalty_ledger, or the
    feed's ledger with the same columns): balance (the last row's), lifetime
    points earned, reversed, redeemed and expired, rewards and their value,
    the liability of a positive balance, tier and activity dates. A select
    statement to put inside a CTE; rules is the one-row rules relation
    (loyalty_default_rules) that values the points.
-#}
{% macro loyalty_balances(ledger, rules) -%}
    with

    ledger_totals as (

        select
            customer_id,
            max(loyalty_tier) as loyalty_tier,
            count(*) as entry_count,
            max(entry_sequence) as last_entry_sequence,
            sum(points_earned) as lifetime_points_earned,
            sum(points_reversed) as points_reversed,
            sum(points_redeemed) as points_redeemed,
            sum(points_expired) as points_expired,
            sum(rewards_redeemed) as rewards_redeemed,
            sum(reward_value_redeemed) as rewards_value,
            sum(
                case when entry_type = 'earn' then 1 else 0 end
            ) as purchase_count,
            min(
                case
                    when entry_type in ('earn', 'reversal') then entry_date
                end
            ) as first_activity_date,
            max(
                case
                    when entry_type in ('earn', 'reversal') then entry_date
                end
            ) as last_activity_date,
            max(
                case when entry_type = 'earn' then entry_date end
            ) as last_purchase_date
        from {{ ledger }}
        group by 1

    )

    select
        ledger_totals.customer_id,
        ledger_totals.loyalty_tier,
        last_entry.points_balance,
        {{ loyalty_points_value(
            'case when last_entry.points_balance > 0'
            ~ ' then last_entry.points_balance else 0 end',
            rules ~ '.reward_value',
            rules ~ '.points_per_reward'
        ) }} as balance_liability,
        ledger_totals.lifetime_points_earned,
        ledger_totals.points_reversed,
        ledger_totals.points_redeemed,
        ledger_totals.points_expired,
        ledger_totals.rewards_redeemed,
        ledger_totals.rewards_value,
        ledger_totals.purchase_count,
        ledger_totals.entry_count,
        ledger_totals.first_activity_date,
        ledger_totals.last_activity_date,
        ledger_totals.last_purchase_date
    from ledger_totals
    inner join {{ ledger }} as last_entry
        on
            ledger_totals.customer_id = last_entry.customer_id
            and ledger_totals.last_entry_sequence = last_entry.entry_sequence
    cross join {{ rules }}
{%- endmacro %}

{#-
    One row per month of a programme from its ledger (mart_loyalty_ledger,
    or the feed's ledger with the same columns): points issued, reversed,
    redeemed and expired in the month, points outstanding at its end (the
    running total), the liability of the positive balances at its end,
    rewards and their cost as a share of the month's net revenue, members
    active (with a purchase) and members to date, typed as the monthly marts
    publish them. A select statement to put inside a CTE. months: one row
    per month of the data, month_start_date and net_revenue (all sales of
    the month); rules: the one-row rules relation (loyalty_default_rules).
-#}
{% macro loyalty_programme_monthly(ledger, rules, months) -%}
    with

    ledger_in_months as (

        select
            customer_id,
            entry_sequence,
            entry_type,
            points_earned,
            points_reversed,
            points_redeemed,
            points_expired,
            rewards_redeemed,
            reward_value_redeemed,
            points_balance,
            cast(
                {{ dbt.date_trunc('month', 'entry_date') }} as date
            ) as month_start_date
        from {{ ledger }}

    ),

    movements_monthly as (

        select
            month_start_date,
            sum(points_earned) as points_issued,
            sum(points_reversed) as points_reversed,
            sum(points_redeemed) as points_redeemed,
            sum(points_expired) as points_expired,
            sum(rewards_redeemed) as rewards_redeemed,
            sum(reward_value_redeemed) as rewards_cost,
            count(
                distinct case when entry_type = 'earn' then customer_id end
            ) as active_member_count
        from ledger_in_months
        group by 1

    ),

    first_purchase_months as (

        select
            customer_id,
            min(month_start_date) as month_start_date
        from ledger_in_months
        where entry_type = 'earn'
        group by 1

    ),

    new_members_monthly as (

        select
            month_start_date,
            count(*) as new_member_count
        from first_purchase_months
        group by 1

    ),

    -- Each customer's balance at the end of every month with a ledger row,
    -- valid until the next such month.
    month_end_balances as (

        select
            customer_id,
            month_start_date,
            points_balance,
            lead(month_start_date) over (
                partition by customer_id order by month_start_date
            ) as next_month_start_date
        from (
            select
                customer_id,
                month_start_date,
                points_balance,
                row_number() over (
                    partition by customer_id, month_start_date
                    order by entry_sequence desc
                ) as month_entry_rank
            from ledger_in_months
        ) as ranked_entries
        where month_entry_rank = 1

    ),

    positive_balances_monthly as (

        select
            {{ months }}.month_start_date,
            sum(
                case
                    when month_end_balances.points_balance > 0
                        then month_end_balances.points_balance
                    else 0
                end
            ) as positive_points
        from {{ months }}
        inner join month_end_balances
            on
                {{ months }}.month_start_date
                >= month_end_balances.month_start_date
                and (
                    month_end_balances.next_month_start_date is null
                    or {{ months }}.month_start_date
                    < month_end_balances.next_month_start_date
                )
        group by 1

    ),

    months_joined as (

        select
            {{ months }}.month_start_date,
            {{ months }}.net_revenue,
            coalesce(movements_monthly.points_issued, 0) as points_issued,
            coalesce(movements_monthly.points_reversed, 0) as points_reversed,
            coalesce(movements_monthly.points_redeemed, 0) as points_redeemed,
            coalesce(movements_monthly.points_expired, 0) as points_expired,
            coalesce(movements_monthly.rewards_redeemed, 0)
                as rewards_redeemed,
            coalesce(movements_monthly.rewards_cost, 0) as rewards_cost,
            coalesce(movements_monthly.active_member_count, 0) as active_member_count,
            coalesce(new_members_monthly.new_member_count, 0) as new_member_count,
            coalesce(positive_balances_monthly.positive_points, 0)
                as positive_points
        from {{ months }}
        left join movements_monthly
            on {{ months }}.month_start_date = movements_monthly.month_start_date
        left join new_members_monthly
            on
                {{ months }}.month_start_date
                = new_members_monthly.month_start_date
        left join positive_balances_monthly
            on
                {{ months }}.month_start_date
                = positive_balances_monthly.month_start_date

    ),

    months_accumulated as (

        select
            months_joined.*,
            sum(
                points_issued - points_reversed - points_redeemed
                - points_expired
            ) over (
                order by month_start_date
                rows between unbounded preceding and current row
            ) as points_outstanding,
            sum(new_member_count) over (
                order by month_start_date
                rows between unbounded preceding and current row
            ) as cumulative_member_count
        from months_joined

    )

    select
        months_accumulated.month_start_date,
        cast(months_accumulated.points_issued as bigint) as points_issued,
        cast(months_accumulated.points_reversed as bigint) as points_reversed,
        cast(months_accumulated.points_redeemed as bigint) as points_redeemed,
        cast(months_accumulated.points_expired as bigint) as points_expired,
        cast(months_accumulated.points_outstanding as bigint)
            as points_outstanding,
        cast(
            {{ loyalty_points_value(
                'months_accumulated.positive_points',
                rules ~ '.reward_value',
                rules ~ '.points_per_reward'
            ) }} as numeric(18, 2)
        ) as outstanding_liability,
        cast(months_accumulated.rewards_redeemed as bigint) as rewards_redeemed,
        cast(months_accumulated.rewards_cost as numeric(18, 2)) as rewards_cost,
        cast(months_accumulated.net_revenue as numeric(18, 2)) as net_revenue,
        -- numeric(18, 6), not (9, 6): a month whose cancellations take back
        -- most of its sales has a share far above 1, which must not fail the
        -- build (its rewards were earned on the sales, and are not taken back)
        cast(
            {{ divide_rounded(
                'months_accumulated.rewards_cost',
                'months_accumulated.net_revenue',
                6,
                18
            ) }} as numeric(18, 6)
        ) as rewards_cost_share,
        cast(months_accumulated.active_member_count as integer) as active_member_count,
        cast(months_accumulated.new_member_count as integer) as new_member_count,
        cast(months_accumulated.cumulative_member_count as integer) as cumulative_member_count
    from months_accumulated
    cross join {{ rules }}
{%- endmacro %}

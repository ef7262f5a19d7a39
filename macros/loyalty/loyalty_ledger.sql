{#-
    The points ledger of a loyalty programme for one or more rule sets: the
    one home of the earn, reversal, redemption, expiry and eligibility rules
    (macros/_macros.yml has the rules and arguments; docs/loyalty.md the
    reasons). A select statement to put inside a CTE.
-#}
{% macro loyalty_ledger(movements, rules, as_of) -%}
    {%- set entry_order -%}
        entry_date, day_part, moved_at, movement_id
    {%- endset -%}
    with

    movements_eligible as (

        select
            {{ rules }}.scenario_id,
            {{ movements }}.customer_id,
            {{ movements }}.movement_id,
            {{ movements }}.moved_at,
            {{ movements }}.movement_date,
            {{ movements }}.is_purchase,
            {{ movements }}.net_amount,
            {{ rules }}.expiry_months,
            cast(
                floor(
                    abs({{ movements }}.net_amount)
                    * {{ rules }}.points_per_currency_unit
                ) as bigint
            )
            * case when {{ movements }}.is_purchase then 1 else -1 end
                as points
        from {{ movements }}
        cross join {{ rules }}
        where
            {{ rules }}.eligible_tiers is null
            or '|' || {{ rules }}.eligible_tiers || '|'
            like '%|' || {{ movements }}.loyalty_tier || '|%'

    ),

    movements_with_first_purchase as (

        select
            movements_eligible.*,
            min(
                case when is_purchase then moved_at end
            ) over (
                partition by scenario_id, customer_id
            ) as first_purchase_at
        from movements_eligible

    ),

    -- A cancellation before the customer's first purchase in the data
    -- cancels an order the programme never gave points for.
    movements_of_members as (

        select
            scenario_id,
            customer_id,
            movement_id,
            moved_at,
            movement_date,
            is_purchase,
            net_amount,
            expiry_months,
            points
        from movements_with_first_purchase
        where is_purchase or moved_at >= first_purchase_at

    ),

    purchase_days as (

        select distinct
            scenario_id,
            customer_id,
            movement_date as purchase_date,
            expiry_months
        from movements_of_members
        where is_purchase and expiry_months is not null

    ),

    purchase_days_with_next as (

        select
            scenario_id,
            customer_id,
            cast(
                {{ dbt.dateadd('month', 'expiry_months', 'purchase_date') }}
                as date
            ) as expiry_date,
            lead(purchase_date) over (
                partition by scenario_id, customer_id
                order by purchase_date
            ) as next_purchase_date
        from purchase_days

    ),

    expiries as (

        select
            purchase_days_with_next.scenario_id,
            purchase_days_with_next.customer_id,
            purchase_days_with_next.expiry_date
        from purchase_days_with_next
        cross join {{ as_of }}
        where
            coalesce(
                purchase_days_with_next.next_purchase_date,
                {{ as_of }}.as_of_date
            )
            > purchase_days_with_next.expiry_date

    ),

    -- day_part 0: a movement; 1: an expiry, after every movement of its day.
    entries as (

        select
            scenario_id,
            customer_id,
            movement_id,
            moved_at,
            movement_date as entry_date,
            0 as day_part,
            is_purchase,
            net_amount,
            points
        from movements_of_members
        union all
        select
            scenario_id,
            customer_id,
            cast(null as {{ dbt.type_string() }}) as movement_id,
            cast(null as {{ dbt.type_timestamp() }}) as moved_at,
            expiry_date as entry_date,
            1 as day_part,
            cast(null as boolean) as is_purchase,
            cast(null as numeric(18, 3)) as net_amount,
            cast(0 as bigint) as points
        from expiries

    ),

    -- A spell is the stretch between two expiries; an expiry row closes
    -- the spell it is in.
    entries_in_spells as (

        select
            entries.*,
            sum(entries.day_part) over (
                partition by entries.scenario_id, entries.customer_id
                order by {{ entry_order }}
                rows between unbounded preceding and current row
            ) - entries.day_part as spell_number
        from entries

    ),

    entries_accumulated as (

        select
            entries_in_spells.*,
            {{ rules }}.points_per_reward,
            {{ rules }}.reward_value,
            sum(entries_in_spells.points) over (
                partition by
                    entries_in_spells.scenario_id,
                    entries_in_spells.customer_id,
                    entries_in_spells.spell_number
                order by {{ entry_order }}
                rows between unbounded preceding and current row
            ) as spell_points
        from entries_in_spells
        inner join {{ rules }}
            on entries_in_spells.scenario_id = {{ rules }}.scenario_id

    ),

    entries_with_rewards_to_date as (

        select
            entries_accumulated.*,
            greatest(
                0,
                max(
                    {{ floor_divide('spell_points', 'points_per_reward') }}
                ) over (
                    partition by scenario_id, customer_id, spell_number
                    order by {{ entry_order }}
                    rows between unbounded preceding and current row
                )
            ) as rewards_to_date
        from entries_accumulated

    ),

    entries_with_new_rewards as (

        select
            entries_with_rewards_to_date.*,
            rewards_to_date - coalesce(
                lag(rewards_to_date) over (
                    partition by scenario_id, customer_id, spell_number
                    order by {{ entry_order }}
                ),
                0
            ) as new_rewards
        from entries_with_rewards_to_date

    ),

    -- entry_part 0: the movement or expiry; 1: the redemption it triggers.
    ledger_rows as (

        select
            scenario_id,
            customer_id,
            movement_id,
            moved_at,
            entry_date,
            day_part,
            0 as entry_part,
            case
                when day_part = 1 then 'expiry'
                when is_purchase then 'earn'
                else 'reversal'
            end as entry_type,
            net_amount,
            case when points > 0 then points else 0 end as points_earned,
            case when points < 0 then -points else 0 end as points_reversed,
            cast(0 as bigint) as rewards_redeemed,
            cast(0 as bigint) as points_redeemed,
            cast(0 as numeric(18, 2)) as reward_value_redeemed,
            case
                when day_part = 1
                    then spell_points - points_per_reward * rewards_to_date
                else 0
            end as points_expired,
            case
                when day_part = 1 then 0
                else
                    spell_points
                    - points_per_reward * (rewards_to_date - new_rewards)
            end as points_balance
        from entries_with_new_rewards
        where
            day_part = 0
            or spell_points - points_per_reward * rewards_to_date <> 0
        union all
        select
            scenario_id,
            customer_id,
            movement_id,
            moved_at,
            entry_date,
            day_part,
            1 as entry_part,
            'redemption' as entry_type,
            cast(null as numeric(18, 3)) as net_amount,
            0 as points_earned,
            0 as points_reversed,
            new_rewards as rewards_redeemed,
            new_rewards * points_per_reward as points_redeemed,
            new_rewards * reward_value as reward_value_redeemed,
            0 as points_expired,
            spell_points - points_per_reward * rewards_to_date
                as points_balance
        from entries_with_new_rewards
        where new_rewards > 0

    )

    select
        scenario_id,
        customer_id,
        row_number() over (
            partition by scenario_id, customer_id
            order by {{ entry_order }}, entry_part
        ) as entry_sequence,
        entry_type,
        movement_id,
        entry_date,
        net_amount,
        points_earned,
        points_reversed,
        rewards_redeemed,
        points_redeemed,
        reward_value_redeemed,
        points_expired,
        points_balance
    from ledger_rows
{%- endmacro %}

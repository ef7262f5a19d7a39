{#-
    The one home of the earn, reversal, redemption, expiry and eligibility
    rules (the YAML has them; docs/loyalty.md the reasons). Ledger order per
    scenario and customer: day, then movements before that day's expiry,
    then time, then invoice.
-#}
{%- set entry_order = 'entry_date, day_part, moved_at, movement_id' -%}

{#- Incremental by customer while the default rules let every customer take
    part; a table when they name tiers, since a customer whose tier leaves
    every rule set would keep rows a delete by customer cannot reach (YAML). -#}
{{
    config(**(
        {'materialized': 'table'} if var('loyalty_eligible_tiers')
        else incremental_by_grain('customer_id')
    ))
}}

with

fct_invoices as {{ not_materialized() }} (

    select * from {{ ref('fct_invoices') }}

),

mart_top_customers as (

    select * from {{ ref('mart_top_customers') }}

),

int_loyalty_scenarios_filled as (

    select * from {{ ref('int_loyalty_scenarios_filled') }}

),

-- Each rule set's rules in one string, stored on its rows: an incremental
-- run compares them with the rules of this run.
scenarios_with_rules as (

    select
        *,
        {{ dbt.concat([
            "coalesce(cast(points_per_currency_unit as "
            ~ dbt.type_string() ~ "), '')",
            "';'",
            "coalesce(cast(points_per_reward as "
            ~ dbt.type_string() ~ "), '')",
            "';'",
            "coalesce(cast(reward_value as " ~ dbt.type_string() ~ "), '')",
            "';'",
            "coalesce(cast(expiry_months as " ~ dbt.type_string() ~ "), '')",
            "';'",
            "coalesce(eligible_tiers, '')",
        ]) }} as scenario_rules
    from int_loyalty_scenarios_filled

),

as_of as (

    select max(invoice_date) as as_of_date
    from fct_invoices

),

{% if is_incremental() -%}
-- An incremental run recomputes every row (of every rule set) of the
-- customers whose rows can change: those with an invoice of a new load;
-- those whose tier in mart_top_customers moved (their eligibility and
-- tier column); those with a purchase and no row (no rule set took them
-- before: their tier may let one now); and those whose open balance
-- expires between the last invoice date before the new loads and now. A
-- change of the rules (a loyalty_* var or the seed loyalty_scenarios)
-- recomputes every customer. Other customers' rows cannot change.
ledger_before as (

    select distinct
        scenario_id,
        customer_id,
        loyalty_tier,
        scenario_rules
    from {{ this }}

),

rule_sets_changed as (

    select new_or_changed.scenario_id
    from (
        select
            scenario_id,
            scenario_rules
        from scenarios_with_rules
        except
        select
            scenario_id,
            scenario_rules
        from ledger_before
    ) as new_or_changed
    union all
    select changed_or_dropped.scenario_id
    from (
        select
            scenario_id,
            scenario_rules
        from ledger_before
        except
        select
            scenario_id,
            scenario_rules
        from scenarios_with_rules
    ) as changed_or_dropped

),

customers_last_purchases as (

    select
        customer_id,
        max(invoice_date) as last_purchase_date
    from fct_invoices
    where is_purchase and customer_id is not null
    group by 1

),

-- The newest invoice date of the invoices no new load touched: at most the
-- last invoice date of the previous run (an earlier date only widens the
-- customers recomputed).
as_of_before as (

    select max(invoice_date) as as_of_date
    from fct_invoices
    where last_load_id <= {{ new_loads_after('last_load_id') }}

),

customers_recomputed as (

    {{ affected_keys('fct_invoices', 'customer_id') }}

    union

    select ledger_before.customer_id as affected_key
    from ledger_before
    left join mart_top_customers
        on ledger_before.customer_id = mart_top_customers.customer_id
    where
        ledger_before.loyalty_tier
        <> coalesce(mart_top_customers.loyalty_tier, 'none')

    union

    select customers_last_purchases.customer_id as affected_key
    from customers_last_purchases
    left join ledger_before
        on customers_last_purchases.customer_id = ledger_before.customer_id
    where ledger_before.customer_id is null

    union

    -- The last purchase's expiry, which only the last invoice date decides.
    select customers_last_purchases.customer_id as affected_key
    from customers_last_purchases
    cross join int_loyalty_scenarios_filled
    cross join as_of_before
    cross join as_of
    where
        int_loyalty_scenarios_filled.expiry_months is not null
        and cast(
            {{ dbt.dateadd(
                'month',
                'int_loyalty_scenarios_filled.expiry_months',
                'customers_last_purchases.last_purchase_date'
            ) }} as date
        ) < as_of.as_of_date
        and (
            as_of_before.as_of_date is null
            or cast(
                {{ dbt.dateadd(
                    'month',
                    'int_loyalty_scenarios_filled.expiry_months',
                    'customers_last_purchases.last_purchase_date'
                ) }} as date
            ) >= as_of_before.as_of_date
        )

),

{% endif -%}

-- Every purchase of an identified customer earns and every cancellation
-- with product value takes back; postage, fees and adjustments are not
-- product revenue and move no points.
invoice_movements as (

    select
        fct_invoices.customer_id,
        fct_invoices.invoice_id as movement_id,
        fct_invoices.invoiced_at as moved_at,
        fct_invoices.invoice_date as movement_date,
        fct_invoices.is_purchase,
        fct_invoices.product_amount as net_amount,
        fct_invoices.last_load_id,
        mart_top_customers.loyalty_tier
    from fct_invoices
    left join mart_top_customers
        on fct_invoices.customer_id = mart_top_customers.customer_id
    where
        fct_invoices.customer_id is not null
        and (
            fct_invoices.is_purchase
            or (
                fct_invoices.is_cancellation
                and fct_invoices.product_amount < 0
            )
        )

),

-- The movements of the customers a run recomputes: all in a full build.
movements as (

    select * from invoice_movements
    {% if is_incremental() -%}
    where
        exists (select 1 from rule_sets_changed)
        or invoice_movements.customer_id in (
            select customers_recomputed.affected_key
            from customers_recomputed
        )
    {%- endif %}

),

movements_eligible as (

    select
        int_loyalty_scenarios_filled.scenario_id,
        movements.customer_id,
        movements.movement_id,
        movements.moved_at,
        movements.movement_date,
        movements.is_purchase,
        movements.net_amount,
        movements.last_load_id,
        int_loyalty_scenarios_filled.expiry_months,
        -- Widened before the product: a line the loader accepts can hold
        -- 1,000,000 x 1,000,000 (the quantity and price bounds), and
        -- numeric(18, 3) x numeric(9, 3) overflows DuckDB's DECIMAL(18).
        cast(
            floor(
                cast(abs(movements.net_amount) as numeric(38, 3))
                * int_loyalty_scenarios_filled.points_per_currency_unit
            ) as bigint
        )
        * case when movements.is_purchase then 1 else -1 end
            as points
    from movements
    cross join int_loyalty_scenarios_filled
    where
        int_loyalty_scenarios_filled.eligible_tiers is null
        or '|' || int_loyalty_scenarios_filled.eligible_tiers || '|'
        like '%|' || movements.loyalty_tier || '|%'

),

movements_with_first_purchase as (

    select
        *,
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
        last_load_id,
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

-- A purchase not followed by another by its expiry date expires the
-- balance at the end of that day; the open balance only once the data runs
-- past it.
expiries as (

    select
        purchase_days_with_next.scenario_id,
        purchase_days_with_next.customer_id,
        purchase_days_with_next.expiry_date
    from purchase_days_with_next
    cross join as_of
    where
        coalesce(
            purchase_days_with_next.next_purchase_date,
            as_of.as_of_date
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
        last_load_id,
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
        cast(null as integer) as last_load_id,
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
        scenarios_with_rules.points_per_reward,
        scenarios_with_rules.reward_value,
        scenarios_with_rules.scenario_rules,
        sum(entries_in_spells.points) over (
            partition by
                entries_in_spells.scenario_id,
                entries_in_spells.customer_id,
                entries_in_spells.spell_number
            order by {{ entry_order }}
            rows between unbounded preceding and current row
        ) as spell_points
    from entries_in_spells
    inner join scenarios_with_rules
        on entries_in_spells.scenario_id = scenarios_with_rules.scenario_id

),

-- Redemption in closed form: with N the running sum of earned minus
-- reversed points in the spell, rewards so far = max(0, running max of
-- floor(N / points_per_reward)), so a reversal never gives a reward back.
entries_with_rewards_to_date as (

    select
        *,
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
        *,
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
        end as points_balance,
        last_load_id,
        scenario_rules
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
            as points_balance,
        last_load_id,
        scenario_rules
    from entries_with_new_rewards
    where new_rewards > 0

),

ledger_numbered as (

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
        points_balance,
        last_load_id,
        scenario_rules
    from ledger_rows

),

final as (

    select
        cast(ledger_numbered.scenario_id as {{ dbt.type_string() }})
            as scenario_id,
        ledger_numbered.customer_id,
        cast(ledger_numbered.entry_sequence as integer) as entry_sequence,
        cast(ledger_numbered.entry_type as {{ dbt.type_string() }})
            as entry_type,
        cast(ledger_numbered.movement_id as {{ dbt.type_string() }})
            as invoice_id,
        ledger_numbered.entry_date,
        cast(
            coalesce(mart_top_customers.loyalty_tier, 'none')
            as {{ dbt.type_string() }}
        ) as loyalty_tier,
        cast(ledger_numbered.net_amount as numeric(18, 3)) as net_amount,
        cast(ledger_numbered.points_earned as bigint) as points_earned,
        cast(ledger_numbered.points_reversed as bigint) as points_reversed,
        cast(ledger_numbered.rewards_redeemed as bigint) as rewards_redeemed,
        cast(ledger_numbered.points_redeemed as bigint) as points_redeemed,
        cast(ledger_numbered.reward_value_redeemed as numeric(18, 2))
            as reward_value_redeemed,
        cast(ledger_numbered.points_expired as bigint) as points_expired,
        cast(ledger_numbered.points_balance as bigint) as points_balance,
        cast(ledger_numbered.last_load_id as integer) as last_load_id,
        cast(ledger_numbered.scenario_rules as {{ dbt.type_string() }})
            as scenario_rules
    from ledger_numbered
    left join mart_top_customers
        on ledger_numbered.customer_id = mart_top_customers.customer_id

)

select * from final

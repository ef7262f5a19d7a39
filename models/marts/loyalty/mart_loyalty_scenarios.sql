with

fct_invoices as {{ not_materialized() }} (

    select * from {{ ref('fct_invoices') }}

),

mart_top_customers as (

    select * from {{ ref('mart_top_customers') }}

),

loyalty_scenarios as (

    select * from {{ ref('loyalty_scenarios') }}

),

movements as (

    {{ loyalty_sales_movements('fct_invoices', 'mart_top_customers') }}

),

default_rules as (

    {{ loyalty_default_rules() }}

),

-- The default rules, then each alternative with its blanks filled from
-- the default.
rules as (

    select
        scenario_id,
        1 as scenario_order,
        cast(
            'The default rules (loyalty_* vars)' as {{ dbt.type_string() }}
        ) as description,
        points_per_currency_unit,
        points_per_reward,
        reward_value,
        expiry_months,
        eligible_tiers
    from default_rules
    union all
    select
        cast(
            loyalty_scenarios.scenario_id as {{ dbt.type_string() }}
        ) as scenario_id,
        loyalty_scenarios.scenario_order,
        cast(
            loyalty_scenarios.description as {{ dbt.type_string() }}
        ) as description,
        coalesce(
            loyalty_scenarios.points_per_currency_unit,
            default_rules.points_per_currency_unit
        ) as points_per_currency_unit,
        coalesce(
            loyalty_scenarios.points_per_reward,
            default_rules.points_per_reward
        ) as points_per_reward,
        coalesce(
            loyalty_scenarios.reward_value, default_rules.reward_value
        ) as reward_value,
        coalesce(
            loyalty_scenarios.expiry_months, default_rules.expiry_months
        ) as expiry_months,
        cast(
            coalesce(
                loyalty_scenarios.eligible_tiers, default_rules.eligible_tiers
            ) as {{ dbt.type_string() }}
        ) as eligible_tiers
    from loyalty_scenarios
    cross join default_rules

),

as_of as (

    select max(invoice_date) as as_of_date
    from fct_invoices

),

ledger as (

    {{ loyalty_ledger('movements', 'rules', 'as_of') }}

),

sales_totals as (

    select sum(product_amount) as net_revenue
    from fct_invoices

),

-- One pass over the ledger: read twice, DuckDB would materialize every
-- entry of every scenario. A customer's last balance is the sum of the
-- ledger's point movements, as each entry's balance is the one before it
-- plus its own earned, less its reversed, redeemed and expired points.
customer_ledgers as (

    select
        scenario_id,
        customer_id,
        max(case when entry_type = 'earn' then 1 else 0 end) as is_member,
        sum(
            points_earned - points_reversed - points_redeemed - points_expired
        ) as points_balance,
        sum(
            case
                when entry_type in ('earn', 'reversal') then net_amount
                else 0
            end
        ) as net_revenue,
        sum(points_earned) as points_issued,
        sum(points_reversed) as points_reversed,
        sum(points_redeemed) as points_redeemed,
        sum(points_expired) as points_expired,
        sum(rewards_redeemed) as rewards_redeemed,
        sum(reward_value_redeemed) as rewards_cost
    from ledger
    group by 1, 2

),

ledger_by_scenario as (

    select
        scenario_id,
        sum(is_member) as member_count,
        sum(net_revenue) as member_net_revenue,
        sum(points_issued) as points_issued,
        sum(points_reversed) as points_reversed,
        sum(points_redeemed) as points_redeemed,
        sum(points_expired) as points_expired,
        sum(points_balance) as points_outstanding,
        sum(
            case when points_balance > 0 then points_balance else 0 end
        ) as positive_points,
        sum(rewards_redeemed) as rewards_redeemed,
        sum(rewards_cost) as rewards_cost
    from customer_ledgers
    group by 1

),

scenarios_measured as (

    select
        rules.scenario_id,
        rules.scenario_order,
        rules.description,
        rules.points_per_currency_unit,
        rules.points_per_reward,
        rules.reward_value,
        rules.expiry_months,
        rules.eligible_tiers,
        coalesce(ledger_by_scenario.member_count, 0) as member_count,
        coalesce(ledger_by_scenario.points_issued, 0) as points_issued,
        coalesce(ledger_by_scenario.points_reversed, 0) as points_reversed,
        coalesce(ledger_by_scenario.points_redeemed, 0) as points_redeemed,
        coalesce(ledger_by_scenario.points_expired, 0) as points_expired,
        coalesce(ledger_by_scenario.points_outstanding, 0)
            as points_outstanding,
        coalesce(ledger_by_scenario.rewards_redeemed, 0) as rewards_redeemed,
        coalesce(ledger_by_scenario.rewards_cost, 0) as rewards_cost,
        {{ loyalty_points_value(
            'coalesce(ledger_by_scenario.positive_points, 0)',
            'rules.reward_value',
            'rules.points_per_reward'
        ) }} as outstanding_liability,
        coalesce(ledger_by_scenario.member_net_revenue, 0)
            as member_net_revenue,
        sales_totals.net_revenue
    from rules
    cross join sales_totals
    left join ledger_by_scenario
        on rules.scenario_id = ledger_by_scenario.scenario_id

),

final as (

    select
        cast(scenario_id as {{ dbt.type_string() }}) as scenario_id,
        cast(scenario_order as integer) as scenario_order,
        cast(description as {{ dbt.type_string() }}) as description,
        cast(points_per_currency_unit as numeric(9, 3))
            as points_per_currency_unit,
        cast(points_per_reward as bigint) as points_per_reward,
        cast(reward_value as numeric(18, 2)) as reward_value,
        cast(expiry_months as integer) as expiry_months,
        cast(eligible_tiers as {{ dbt.type_string() }}) as eligible_tiers,
        cast(member_count as integer) as member_count,
        cast(points_issued as bigint) as points_issued,
        cast(points_reversed as bigint) as points_reversed,
        cast(points_redeemed as bigint) as points_redeemed,
        cast(points_expired as bigint) as points_expired,
        cast(points_outstanding as bigint) as points_outstanding,
        cast(rewards_redeemed as bigint) as rewards_redeemed,
        cast(rewards_cost as numeric(18, 2)) as rewards_cost,
        cast(outstanding_liability as numeric(18, 2))
            as outstanding_liability,
        cast(rewards_cost + outstanding_liability as numeric(18, 2))
            as programme_cost,
        cast(member_net_revenue as numeric(18, 2)) as member_net_revenue,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        {{ divide_rounded(
            'rewards_cost + outstanding_liability', 'net_revenue', 6, 9
        ) }} as programme_cost_share,
        {{ divide_rounded(
            'rewards_cost + outstanding_liability', 'member_count', 2
        ) }} as programme_cost_per_member
    from scenarios_measured

)

select * from final

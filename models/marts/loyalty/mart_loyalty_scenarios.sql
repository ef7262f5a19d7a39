with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

int_loyalty_scenarios_filled as (

    select * from {{ ref('int_loyalty_scenarios_filled') }}

),

int_loyalty_ledger_simulated as (

    select * from {{ ref('int_loyalty_ledger_simulated') }}

),

sales_totals as (

    select sum(product_amount) as net_revenue
    from fct_invoices

),

-- One pass over the ledger of every scenario. A customer's last balance
-- is the sum of the ledger's point movements, as each entry's balance is
-- the one before it plus its own earned, less its reversed, redeemed and
-- expired points.
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
    from int_loyalty_ledger_simulated
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
        int_loyalty_scenarios_filled.scenario_id,
        int_loyalty_scenarios_filled.scenario_order,
        int_loyalty_scenarios_filled.description,
        int_loyalty_scenarios_filled.points_per_currency_unit,
        int_loyalty_scenarios_filled.points_per_reward,
        int_loyalty_scenarios_filled.reward_value,
        int_loyalty_scenarios_filled.expiry_months,
        int_loyalty_scenarios_filled.eligible_tiers,
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
            'int_loyalty_scenarios_filled.reward_value',
            'int_loyalty_scenarios_filled.points_per_reward'
        ) }} as outstanding_liability,
        coalesce(ledger_by_scenario.member_net_revenue, 0)
            as member_net_revenue,
        sales_totals.net_revenue
    from int_loyalty_scenarios_filled
    cross join sales_totals
    left join ledger_by_scenario
        on
            int_loyalty_scenarios_filled.scenario_id
            = ledger_by_scenario.scenario_id

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
            'rewards_cost + outstanding_liability', 'net_revenue', 6, 18
        ) }} as programme_cost_share,
        {{ divide_rounded(
            'rewards_cost + outstanding_liability', 'member_count', 2
        ) }} as programme_cost_per_member
    from scenarios_measured

)

select * from final

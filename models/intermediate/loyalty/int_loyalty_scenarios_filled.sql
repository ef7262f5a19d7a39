with

loyalty_scenarios as (

    select * from {{ ref('loyalty_scenarios') }}

),

default_rules as (

    {{ loyalty_default_rules() }}

),

-- The default rules, then each alternative with its blanks filled from
-- the default.
scenarios_unioned as (

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
        cast(eligible_tiers as {{ dbt.type_string() }}) as eligible_tiers
    from scenarios_unioned

)

select * from final

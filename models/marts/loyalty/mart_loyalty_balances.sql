with

mart_loyalty_ledger as (

    select * from {{ ref('mart_loyalty_ledger') }}

),

rules as (

    {{ loyalty_default_rules() }}

),

balances as (

    {{ loyalty_balances('mart_loyalty_ledger', 'rules') }}

),

final as (

    select
        customer_id,
        cast(loyalty_tier as {{ dbt.type_string() }}) as loyalty_tier,
        cast(points_balance as bigint) as points_balance,
        cast(balance_liability as numeric(18, 2)) as balance_liability,
        cast(lifetime_points_earned as bigint) as lifetime_points_earned,
        cast(points_reversed as bigint) as points_reversed,
        cast(points_redeemed as bigint) as points_redeemed,
        cast(points_expired as bigint) as points_expired,
        cast(rewards_redeemed as bigint) as rewards_redeemed,
        cast(rewards_value as numeric(18, 2)) as rewards_value,
        cast(purchase_count as integer) as purchase_count,
        first_activity_date,
        last_activity_date,
        last_purchase_date
    from balances

)

select * from final

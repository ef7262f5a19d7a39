with

mart_loyalty_ledger as (

    select * from {{ ref('mart_loyalty_ledger') }}

),

mart_sales_monthly as (

    select * from {{ ref('mart_sales_monthly') }}

),

rules as (

    {{ loyalty_default_rules() }}

),

months as (

    select
        month_start_date,
        net_revenue
    from mart_sales_monthly

),

programme_monthly as (

    {{ loyalty_programme_monthly('mart_loyalty_ledger', 'rules', 'months') }}

),

final as (

    select
        month_start_date,
        cast(points_issued as bigint) as points_issued,
        cast(points_reversed as bigint) as points_reversed,
        cast(points_redeemed as bigint) as points_redeemed,
        cast(points_expired as bigint) as points_expired,
        cast(points_outstanding as bigint) as points_outstanding,
        cast(outstanding_liability as numeric(18, 2))
            as outstanding_liability,
        cast(rewards_redeemed as bigint) as rewards_redeemed,
        cast(rewards_cost as numeric(18, 2)) as rewards_cost,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(rewards_cost_share as numeric(9, 6)) as rewards_cost_share,
        cast(members_active as integer) as members_active,
        cast(new_members as integer) as new_members,
        cast(members_to_date as integer) as members_to_date
    from programme_monthly

)

select * from final

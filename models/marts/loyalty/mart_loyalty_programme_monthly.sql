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
        points_issued,
        points_reversed,
        points_redeemed,
        points_expired,
        points_outstanding,
        outstanding_liability,
        rewards_redeemed,
        rewards_cost,
        net_revenue,
        rewards_cost_share,
        members_active,
        new_members,
        members_to_date
    from programme_monthly

)

select * from final

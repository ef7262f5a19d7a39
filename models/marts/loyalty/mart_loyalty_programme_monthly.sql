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
        net_revenue,
        is_complete_month
    from mart_sales_monthly

),

programme_monthly as (

    {{ loyalty_programme_monthly('mart_loyalty_ledger', 'rules', 'months') }}

),

programme_monthly_flagged as (

    select
        programme_monthly.*,
        months.is_complete_month
    from programme_monthly
    inner join months
        on programme_monthly.month_start_date = months.month_start_date

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
        active_member_count,
        new_member_count,
        cumulative_member_count,
        is_complete_month
    from programme_monthly_flagged

)

select * from final

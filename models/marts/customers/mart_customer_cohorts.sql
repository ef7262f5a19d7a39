with

fct_customer_orders as (

    select * from {{ ref('fct_customer_orders') }}

),

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

dim_customers as (

    select * from {{ ref('dim_customers') }}

),

dim_dates as (

    select * from {{ ref('dim_dates') }}

),

cohorts as (

    select
        cast(
            {{ dbt.date_trunc('month', 'first_purchase_date') }} as date
        ) as cohort_month,
        count(*) as cohort_customer_count
    from dim_customers
    where has_purchase
    group by 1

),

data_months as (

    select distinct month_start_date
    from dim_dates
    where is_in_data_range

),

-- Every cohort gets every month from its first to the data's last, so a
-- month in which nobody came back shows 0 instead of a missing row.
cohort_grid as (

    select
        cohorts.cohort_month,
        cohorts.cohort_customer_count,
        data_months.month_start_date as activity_month,
        cast(
            {{ dbt.datediff(
                'cohorts.cohort_month', 'data_months.month_start_date', 'month'
            ) }} as integer
        ) as months_since_first_purchase
    from cohorts
    inner join data_months
        on cohorts.cohort_month <= data_months.month_start_date

),

activity as (

    select
        cohort_month,
        order_month as activity_month,
        count(distinct customer_id) as active_customer_count
    from fct_customer_orders
    group by 1, 2

),

-- Revenue of a cohort in a month: its customers' net revenue (purchases
-- minus cancellations of products) in that month.
revenue as (

    select
        cast(
            {{ dbt.date_trunc('month', 'dim_customers.first_purchase_date') }}
            as date
        ) as cohort_month,
        cast(
            {{ dbt.date_trunc('month', 'fct_invoices.invoice_date') }} as date
        ) as activity_month,
        sum(fct_invoices.product_amount) as net_revenue
    from fct_invoices
    inner join dim_customers
        on fct_invoices.customer_id = dim_customers.customer_id
    where dim_customers.has_purchase
    group by 1, 2

),

grid_filled as (

    select
        cohort_grid.cohort_month,
        cohort_grid.months_since_first_purchase,
        cohort_grid.activity_month,
        cohort_grid.cohort_customer_count,
        coalesce(activity.active_customer_count, 0) as active_customer_count,
        coalesce(revenue.net_revenue, 0) as net_revenue
    from cohort_grid
    left join activity
        on
            cohort_grid.cohort_month = activity.cohort_month
            and cohort_grid.activity_month = activity.activity_month
    left join revenue
        on
            cohort_grid.cohort_month = revenue.cohort_month
            and cohort_grid.activity_month = revenue.activity_month

),

grid_accumulated as (

    select
        grid_filled.*,
        sum(grid_filled.net_revenue) over (
            partition by grid_filled.cohort_month
            order by grid_filled.months_since_first_purchase
            rows between unbounded preceding and current row
        ) as cumulative_net_revenue
    from grid_filled

),

final as (

    select
        cohort_month,
        months_since_first_purchase,
        activity_month,
        cast(cohort_customer_count as integer) as cohort_customer_count,
        cast(active_customer_count as integer) as active_customer_count,
        {{ divide_rounded(
            'active_customer_count', 'cohort_customer_count', 4, 9
        ) }} as retention_rate,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(cumulative_net_revenue as numeric(18, 2))
            as cumulative_net_revenue,
        {{ divide_rounded('cumulative_net_revenue', 'cohort_customer_count') }}
            as cumulative_revenue_per_customer
    from grid_accumulated

)

select * from final

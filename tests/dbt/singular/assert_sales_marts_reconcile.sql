-- The monthly and daily marts agree with the facts and with each other:
-- net revenue summed over months (and over days) equals net revenue in
-- fct_invoices (within half a penny per rounded row), new customers summed
-- over months equal the customers with a purchase, and a cohort's month-0
-- size equals the new customers of its month. Returns what disagrees.
with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

dim_customers as (

    select * from {{ ref('dim_customers') }}

),

mart_sales_monthly as (

    select * from {{ ref('mart_sales_monthly') }}

),

mart_sales_daily as (

    select * from {{ ref('mart_sales_daily') }}

),

mart_customer_cohorts as (

    select * from {{ ref('mart_customer_cohorts') }}

),

fact_totals as (

    select sum(product_amount) as net_revenue
    from fct_invoices

),

monthly_totals as (

    select
        sum(net_revenue) as net_revenue,
        sum(new_customer_count) as new_customer_count,
        count(*) as month_count
    from mart_sales_monthly

),

daily_totals as (

    select
        sum(net_revenue) as net_revenue,
        sum(new_customer_count) as new_customer_count,
        count(*) as day_count
    from mart_sales_daily

),

customer_totals as (

    select count(*) as customers
    from dim_customers
    where has_purchase

),

cohort_starts as (

    select
        mart_customer_cohorts.cohort_month,
        mart_customer_cohorts.cohort_customer_count,
        mart_customer_cohorts.active_customer_count,
        mart_sales_monthly.new_customer_count
    from mart_customer_cohorts
    left join mart_sales_monthly
        on
            mart_customer_cohorts.cohort_month
            = mart_sales_monthly.month_start_date
    where mart_customer_cohorts.months_since_first_purchase = 0

),

checks as (

    {{ reconciliation_check(
        "'monthly net revenue = fct_invoices'",
        'fact_totals.net_revenue',
        'monthly_totals.net_revenue',
        'fact_totals cross join monthly_totals',
        tolerance='0.005 * monthly_totals.month_count'
    ) }}
    union all
    {{ reconciliation_check(
        "'daily net revenue = fct_invoices'",
        'fact_totals.net_revenue',
        'daily_totals.net_revenue',
        'fact_totals cross join daily_totals',
        tolerance='0.005 * daily_totals.day_count'
    ) }}
    union all
    {{ reconciliation_check(
        "'monthly new customers = customers'",
        'customer_totals.customers',
        'monthly_totals.new_customer_count',
        'customer_totals cross join monthly_totals'
    ) }}
    union all
    {{ reconciliation_check(
        "'daily new customers = customers'",
        'customer_totals.customers',
        'daily_totals.new_customer_count',
        'customer_totals cross join daily_totals'
    ) }}
    union all
    {{ reconciliation_check(
        "'cohort ' || " ~ year_month_label('cohort_month')
        ~ " || ' month 0 = new customers'",
        'coalesce(new_customer_count, -1)',
        'cohort_customer_count',
        'cohort_starts'
    ) }}
    union all
    {{ reconciliation_check(
        "'cohort ' || " ~ year_month_label('cohort_month')
        ~ " || ' month 0 active = cohort size'",
        'cohort_customer_count',
        'active_customer_count',
        'cohort_starts'
    ) }}

)

select * from checks
where abs(expected - actual) > tolerance

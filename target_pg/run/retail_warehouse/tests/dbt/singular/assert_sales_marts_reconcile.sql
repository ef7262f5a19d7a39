
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  -- The monthly and daily marts agree with the facts and with each other:
-- net revenue summed over months (and over days) equals net revenue in
-- fct_invoices (within half a penny per rounded row), new customers summed
-- over months equal the customers with a purchase, and a cohort's month-0
-- size equals the new customers of its month. Returns what disagrees.
with

fct_invoices as (

    select * from "retail_warehouse"."marts"."fct_invoices"

),

dim_customers as (

    select * from "retail_warehouse"."marts"."dim_customers"

),

mart_sales_monthly as (

    select * from "retail_warehouse"."marts"."mart_sales_monthly"

),

mart_sales_daily as (

    select * from "retail_warehouse"."marts"."mart_sales_daily"

),

mart_customer_cohorts as (

    select * from "retail_warehouse"."marts"."mart_customer_cohorts"

),

fact_totals as (

    select sum(product_amount) as net_revenue
    from fct_invoices

),

monthly_totals as (

    select
        sum(net_revenue) as net_revenue,
        sum(new_customers) as new_customers,
        count(*) as month_count
    from mart_sales_monthly

),

daily_totals as (

    select
        sum(net_revenue) as net_revenue,
        sum(new_customers) as new_customers,
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
        mart_customer_cohorts.cohort_customers,
        mart_customer_cohorts.active_customers,
        mart_sales_monthly.new_customers
    from mart_customer_cohorts
    left join mart_sales_monthly
        on
            mart_customer_cohorts.cohort_month
            = mart_sales_monthly.month_start_date
    where mart_customer_cohorts.months_since_first_purchase = 0

),

checks as (

    select
        'monthly net revenue = fct_invoices' as check_name,
        cast(fact_totals.net_revenue as numeric(28, 3)) as expected,
        cast(monthly_totals.net_revenue as numeric(28, 3)) as actual,
        cast(0.005 * monthly_totals.month_count as numeric(28, 3)) as tolerance
    from fact_totals cross join monthly_totals
    union all
    select
        'daily net revenue = fct_invoices' as check_name,
        cast(fact_totals.net_revenue as numeric(28, 3)) as expected,
        cast(daily_totals.net_revenue as numeric(28, 3)) as actual,
        cast(0.005 * daily_totals.day_count as numeric(28, 3)) as tolerance
    from fact_totals cross join daily_totals
    union all
    select
        'monthly new customers = customers' as check_name,
        cast(customer_totals.customers as numeric(28, 3)) as expected,
        cast(monthly_totals.new_customers as numeric(28, 3)) as actual,
        cast(0 as numeric(28, 3)) as tolerance
    from customer_totals cross join monthly_totals
    union all
    select
        'daily new customers = customers' as check_name,
        cast(customer_totals.customers as numeric(28, 3)) as expected,
        cast(daily_totals.new_customers as numeric(28, 3)) as actual,
        cast(0 as numeric(28, 3)) as tolerance
    from customer_totals cross join daily_totals
    union all
    select
        'cohort ' || cast(cast(extract(year from cohort_month) as integer)
        as TEXT)
    || '-'
    || lpad(
        cast(cast(extract(month from cohort_month) as integer)
            as TEXT),
        2,
        '0'
    ) || ' month 0 = new customers' as check_name,
        cast(coalesce(new_customers, -1) as numeric(28, 3)) as expected,
        cast(cohort_customers as numeric(28, 3)) as actual,
        cast(0 as numeric(28, 3)) as tolerance
    from cohort_starts
    union all
    select
        'cohort ' || cast(cast(extract(year from cohort_month) as integer)
        as TEXT)
    || '-'
    || lpad(
        cast(cast(extract(month from cohort_month) as integer)
            as TEXT),
        2,
        '0'
    ) || ' month 0 active = cohort size' as check_name,
        cast(cohort_customers as numeric(28, 3)) as expected,
        cast(active_customers as numeric(28, 3)) as actual,
        cast(0 as numeric(28, 3)) as tolerance
    from cohort_starts

)

select * from checks
where abs(expected - actual) > tolerance
  
  
      
    ) dbt_internal_test
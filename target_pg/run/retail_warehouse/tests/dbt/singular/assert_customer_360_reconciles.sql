
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  -- mart_customer_360 has exactly the customers of dim_customers, and its
-- orders and net revenue add up to dim_customers' and to fct_invoices'
-- (identified customers' purchase invoices and product money). Returns a
-- row per check that disagrees.
with

mart_customer_360 as (

    select * from "retail_warehouse"."marts"."mart_customer_360"

),

dim_customers as (

    select * from "retail_warehouse"."marts"."dim_customers"

),

fct_invoices as (

    select * from "retail_warehouse"."marts"."fct_invoices"

),

customer_360_totals as (

    select
        count(*) as customer_count,
        sum(order_count) as order_count,
        sum(net_revenue) as net_revenue
    from mart_customer_360

),

dim_customers_totals as (

    select
        count(*) as customer_count,
        sum(order_count) as order_count,
        sum(net_revenue) as net_revenue
    from dim_customers

),

fct_invoices_totals as (

    select
        sum(case when is_purchase then 1 else 0 end) as order_count,
        sum(product_amount) as net_revenue
    from fct_invoices
    where customer_id is not null

),

checks as (

    select
        'customer_count vs dim_customers' as check_name,
        customer_360_totals.customer_count as mart_value,
        dim_customers_totals.customer_count as expected_value
    from customer_360_totals
    cross join dim_customers_totals

    union all

    select
        'order_count vs dim_customers' as check_name,
        customer_360_totals.order_count as mart_value,
        dim_customers_totals.order_count as expected_value
    from customer_360_totals
    cross join dim_customers_totals

    union all

    select
        'net_revenue vs dim_customers' as check_name,
        customer_360_totals.net_revenue as mart_value,
        dim_customers_totals.net_revenue as expected_value
    from customer_360_totals
    cross join dim_customers_totals

    union all

    select
        'order_count vs fct_invoices' as check_name,
        customer_360_totals.order_count as mart_value,
        fct_invoices_totals.order_count as expected_value
    from customer_360_totals
    cross join fct_invoices_totals

    union all

    select
        'net_revenue vs fct_invoices' as check_name,
        customer_360_totals.net_revenue as mart_value,
        fct_invoices_totals.net_revenue as expected_value
    from customer_360_totals
    cross join fct_invoices_totals

)

select *
from checks
where abs(mart_value - expected_value) > 0.005
  
  
      
    ) dbt_internal_test
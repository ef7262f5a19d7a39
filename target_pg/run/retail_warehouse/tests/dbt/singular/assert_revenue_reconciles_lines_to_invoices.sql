
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  -- Money flows to the penny from the cleaned lines to fct_invoice_lines, to
-- fct_invoices and to dim_customers: per revenue group for the facts, and
-- net revenue of identified customers for the dimension (rounded there to
-- pennies per customer, so a tolerance of half a penny per customer).
with

int_invoice_lines_cleaned as (

    select * from "retail_warehouse"."intermediate"."int_invoice_lines_cleaned"

),

fct_invoice_lines as (

    select * from "retail_warehouse"."marts"."fct_invoice_lines"

),

fct_invoices as (

    select * from "retail_warehouse"."marts"."fct_invoices"

),

dim_customers as (

    select * from "retail_warehouse"."marts"."dim_customers"

),

cleaned_totals as (

    select
        sum(line_amount) as total_amount,
        sum(
            case when revenue_group = 'product' then line_amount else 0 end
        ) as product_amount,
        sum(
            case
                when revenue_group = 'product' and customer_id is not null
                    then line_amount
                else 0
            end
        ) as customer_product_amount
    from int_invoice_lines_cleaned

),

line_totals as (

    select
        sum(line_amount) as total_amount,
        sum(
            case when revenue_group = 'product' then line_amount else 0 end
        ) as product_amount
    from fct_invoice_lines

),

invoice_totals as (

    select
        sum(total_amount) as total_amount,
        sum(product_amount) as product_amount
    from fct_invoices

),

customer_totals as (

    select
        sum(net_revenue) as net_revenue,
        count(*) as customer_count
    from dim_customers

),

checks as (

    select
        'cleaned lines = fct_invoice_lines, total' as check_name,
        cast(cleaned_totals.total_amount as numeric(28, 3)) as expected,
        cast(line_totals.total_amount as numeric(28, 3)) as actual,
        cast(0 as numeric(28, 3)) as tolerance
    from cleaned_totals cross join line_totals
    union all
    select
        'cleaned lines = fct_invoice_lines, product' as check_name,
        cast(cleaned_totals.product_amount as numeric(28, 3)) as expected,
        cast(line_totals.product_amount as numeric(28, 3)) as actual,
        cast(0 as numeric(28, 3)) as tolerance
    from cleaned_totals cross join line_totals
    union all
    select
        'fct_invoice_lines = fct_invoices, total' as check_name,
        cast(line_totals.total_amount as numeric(28, 3)) as expected,
        cast(invoice_totals.total_amount as numeric(28, 3)) as actual,
        cast(0 as numeric(28, 3)) as tolerance
    from line_totals cross join invoice_totals
    union all
    select
        'fct_invoice_lines = fct_invoices, product' as check_name,
        cast(line_totals.product_amount as numeric(28, 3)) as expected,
        cast(invoice_totals.product_amount as numeric(28, 3)) as actual,
        cast(0 as numeric(28, 3)) as tolerance
    from line_totals cross join invoice_totals
    union all
    select
        'customer product lines = dim_customers net revenue' as check_name,
        cast(cleaned_totals.customer_product_amount as numeric(28, 3)) as expected,
        cast(customer_totals.net_revenue as numeric(28, 3)) as actual,
        cast(0.005 * customer_totals.customer_count as numeric(28, 3)) as tolerance
    from cleaned_totals cross join customer_totals

)

select * from checks
where abs(expected - actual) > tolerance
  
  
      
    ) dbt_internal_test
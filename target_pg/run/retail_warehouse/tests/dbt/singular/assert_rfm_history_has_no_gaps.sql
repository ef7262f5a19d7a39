
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  -- mart_customer_segment_history has every customer at every month of the
-- data from the month of their first purchase on, and nothing else:
-- expected rows are built from fct_invoices and dim_dates independently of
-- the model. Returns the customer-months missing or unexpected.
with

fct_invoices as (

    select * from "retail_warehouse"."marts"."fct_invoices"

),

dim_dates as (

    select * from "retail_warehouse"."marts"."dim_dates"

),

mart_customer_segment_history as (

    select * from "retail_warehouse"."marts"."mart_customer_segment_history"

),

first_purchases as (

    select
        customer_id,
        cast(
            date_trunc('month', min(invoice_date)) as date
        ) as first_purchase_month
    from fct_invoices
    where is_purchase and customer_id is not null
    group by 1

),

data_months as (

    select distinct month_start_date
    from dim_dates
    where is_in_data_range

),

expected_rows as (

    select
        first_purchases.customer_id,
        data_months.month_start_date
    from first_purchases
    inner join data_months
        on first_purchases.first_purchase_month <= data_months.month_start_date

),

final as (

    select
        coalesce(
            expected_rows.customer_id,
            mart_customer_segment_history.customer_id
        ) as customer_id,
        coalesce(
            expected_rows.month_start_date,
            mart_customer_segment_history.month_start_date
        ) as month_start_date,
        case
            when mart_customer_segment_history.customer_id is null
                then 'month missing from history'
            else 'month before first purchase or outside the data'
        end as problem
    from expected_rows
    full outer join mart_customer_segment_history
        on
            expected_rows.customer_id
            = mart_customer_segment_history.customer_id
            and expected_rows.month_start_date
            = mart_customer_segment_history.month_start_date
    where
        expected_rows.customer_id is null
        or mart_customer_segment_history.customer_id is null

)

select * from final
  
  
      
    ) dbt_internal_test
-- How did each month do? Net revenue, growth, orders, cancellations and
-- customers, newest first. (dbt compile, then run the compiled SQL in
-- target/compiled/retail_warehouse/analyses/.)
with

mart_sales_monthly as (

    select * from {{ ref('mart_sales_monthly') }}

)

select
    month_start_date,
    net_revenue,
    net_revenue_mom_growth_pct,
    net_revenue_yoy_growth_pct,
    order_count,
    cancelled_invoice_count,
    cancellation_rate,
    active_customer_count,
    new_customer_count,
    returning_customer_count,
    average_order_value,
    is_complete_month
from mart_sales_monthly
order by month_start_date desc

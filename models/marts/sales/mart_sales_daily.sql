with

dim_dates as (

    select * from {{ ref('dim_dates') }}

),

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

dim_customers as (

    select * from {{ ref('dim_customers') }}

),

invoices_by_day as (

    select
        invoice_date,
        {{ sales_measures() }}
    from fct_invoices
    group by 1

),

new_customers_by_day as (

    select
        first_purchase_date,
        count(*) as new_customer_count
    from dim_customers
    where has_purchase
    group by 1

),

final as (

    select
        dim_dates.date_day,
        dim_dates.month_start_date,
        cast(coalesce(invoices_by_day.net_revenue, 0) as numeric(18, 2))
            as net_revenue,
        cast(coalesce(invoices_by_day.gross_sales, 0) as numeric(18, 2))
            as gross_sales,
        cast(coalesce(invoices_by_day.cancelled_amount, 0) as numeric(18, 2))
            as cancelled_amount,
        cast(coalesce(invoices_by_day.shipping_amount, 0) as numeric(18, 2))
            as shipping_amount,
        cast(coalesce(invoices_by_day.fee_amount, 0) as numeric(18, 2))
            as fee_amount,
        cast(
            coalesce(invoices_by_day.adjustment_amount, 0) as numeric(18, 2)
        ) as adjustment_amount,
        cast(coalesce(invoices_by_day.other_amount, 0) as numeric(18, 2))
            as other_amount,
        cast(coalesce(invoices_by_day.order_count, 0) as integer)
            as order_count,
        cast(coalesce(invoices_by_day.cancelled_invoice_count, 0) as integer)
            as cancelled_invoice_count,
        cast(coalesce(invoices_by_day.units_sold, 0) as bigint) as units_sold,
        cast(coalesce(invoices_by_day.active_customer_count, 0) as integer)
            as active_customer_count,
        cast(coalesce(new_customers_by_day.new_customer_count, 0) as integer)
            as new_customer_count,
        {{ divide_rounded(
            'invoices_by_day.gross_sales', 'invoices_by_day.order_count'
        ) }} as average_order_value,
        invoices_by_day.invoice_date is not null as has_invoices
    from dim_dates
    left join invoices_by_day
        on dim_dates.date_day = invoices_by_day.invoice_date
    left join new_customers_by_day
        on dim_dates.date_day = new_customers_by_day.first_purchase_date
    where dim_dates.is_in_data_range

)

select * from final

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

-- Every month the data touches, even one without invoices, so growth is
-- always measured against the calendar month before, never a gap.
months as (

    select
        month_start_date,
        max(date_day) as month_end_date,
        min(
            case when is_in_data_range then date_day end
        ) as first_data_date,
        max(
            case when is_in_data_range then date_day end
        ) as last_data_date,
        count(*) as days_in_month,
        max(case when is_complete_month then 1 else 0 end) = 1
            as is_complete_month
    from dim_dates
    group by 1
    having max(case when is_in_data_range then 1 else 0 end) = 1

),

invoices_by_month as (

    select
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date)
            as month_start_date,
        {{ sales_measures() }},
        count(distinct invoice_date) as invoice_day_count
    from fct_invoices
    group by 1

),

new_customers_by_month as (

    select
        cast(
            {{ dbt.date_trunc('month', 'first_purchase_date') }} as date
        ) as month_start_date,
        count(*) as new_customer_count
    from dim_customers
    where has_purchase
    group by 1

),

months_filled as (

    select
        months.month_start_date,
        months.month_end_date,
        months.days_in_month,
        months.first_data_date,
        months.last_data_date,
        months.is_complete_month,
        coalesce(invoices_by_month.gross_sales, 0) as gross_sales,
        coalesce(invoices_by_month.cancelled_amount, 0) as cancelled_amount,
        coalesce(invoices_by_month.net_revenue, 0) as net_revenue,
        coalesce(invoices_by_month.shipping_amount, 0) as shipping_amount,
        coalesce(invoices_by_month.fee_amount, 0) as fee_amount,
        coalesce(invoices_by_month.adjustment_amount, 0) as adjustment_amount,
        coalesce(invoices_by_month.other_amount, 0) as other_amount,
        coalesce(invoices_by_month.order_count, 0) as order_count,
        coalesce(invoices_by_month.cancelled_invoice_count, 0)
            as cancelled_invoice_count,
        coalesce(invoices_by_month.units_sold, 0) as units_sold,
        coalesce(invoices_by_month.invoice_day_count, 0)
            as invoice_day_count,
        coalesce(invoices_by_month.active_customer_count, 0)
            as active_customer_count,
        coalesce(new_customers_by_month.new_customer_count, 0)
            as new_customer_count
    from months
    left join invoices_by_month
        on months.month_start_date = invoices_by_month.month_start_date
    left join new_customers_by_month
        on months.month_start_date = new_customers_by_month.month_start_date

),

-- Growth against the calendar month before and the same month a year
-- before; null when that month is outside the data or had no revenue.
months_compared as (

    select
        months_filled.*,
        previous_month.net_revenue as previous_month_net_revenue,
        previous_year.net_revenue as previous_year_net_revenue
    from months_filled
    left join months_filled as previous_month
        on
            previous_month.month_start_date
            = cast(
                {{ dbt.dateadd('month', -1, 'months_filled.month_start_date') }}
                as date
            )
    left join months_filled as previous_year
        on
            previous_year.month_start_date
            = cast(
                {{ dbt.dateadd(
                    'month', -12, 'months_filled.month_start_date'
                ) }} as date
            )

),

final as (

    select
        month_start_date,
        month_end_date,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(gross_sales as numeric(18, 2)) as gross_sales,
        cast(cancelled_amount as numeric(18, 2)) as cancelled_amount,
        cast(shipping_amount as numeric(18, 2)) as shipping_amount,
        cast(fee_amount as numeric(18, 2)) as fee_amount,
        cast(adjustment_amount as numeric(18, 2)) as adjustment_amount,
        cast(other_amount as numeric(18, 2)) as other_amount,
        {{ divide_rounded(
            '100 * (net_revenue - previous_month_net_revenue)',
            'abs(previous_month_net_revenue)'
        ) }} as net_revenue_mom_growth_pct,
        {{ divide_rounded(
            '100 * (net_revenue - previous_year_net_revenue)',
            'abs(previous_year_net_revenue)'
        ) }} as net_revenue_yoy_growth_pct,
        cast(order_count as integer) as order_count,
        cast(cancelled_invoice_count as integer) as cancelled_invoice_count,
        {{ divide_rounded(
            'cancelled_invoice_count', 'order_count + cancelled_invoice_count', 4, 9
        ) }} as cancellation_rate,
        {{ divide_rounded('cancelled_amount', 'gross_sales', 4, 9) }}
            as cancelled_value_rate,
        cast(active_customer_count as integer) as active_customer_count,
        cast(new_customer_count as integer) as new_customer_count,
        cast(active_customer_count - new_customer_count as integer)
            as returning_customer_count,
        {{ divide_rounded('gross_sales', 'order_count') }}
            as average_order_value,
        cast(units_sold as bigint) as units_sold,
        cast(days_in_month as integer) as days_in_month,
        cast(invoice_day_count as integer) as invoice_day_count,
        first_data_date,
        last_data_date,
        is_complete_month
    from months_compared

)

select * from final

with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

dim_dates as (

    select * from {{ ref('dim_dates') }}

),

dim_countries as (

    select * from {{ ref('dim_countries') }}

),

data_months as (

    select
        month_start_date,
        max(case when is_complete_month then 1 else 0 end) = 1
            as is_complete_month
    from dim_dates
    where is_in_data_range
    group by 1

),

-- Every month for every country that ever bought, zeros included, so that
-- growth compares with the calendar month before.
country_months as (

    select
        dim_countries.country_code,
        data_months.month_start_date,
        data_months.is_complete_month
    from dim_countries
    cross join data_months
    where dim_countries.invoice_count > 0

),

invoices_by_country_month as (

    select
        country_code,
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date)
            as month_start_date,
        {{ sales_measures(
            ['net_revenue', 'gross_sales', 'order_count', 'active_customer_count']
        ) }}
    from fct_invoices
    group by 1, 2

),

filled as (

    select
        country_months.country_code,
        country_months.month_start_date,
        country_months.is_complete_month,
        coalesce(invoices_by_country_month.net_revenue, 0) as net_revenue,
        coalesce(invoices_by_country_month.gross_sales, 0) as gross_sales,
        coalesce(invoices_by_country_month.order_count, 0)
            as order_count,
        coalesce(invoices_by_country_month.active_customer_count, 0)
            as active_customer_count
    from country_months
    left join invoices_by_country_month
        on
            country_months.country_code
            = invoices_by_country_month.country_code
            and country_months.month_start_date
            = invoices_by_country_month.month_start_date

),

compared as (

    select
        filled.*,
        previous_month.net_revenue as previous_month_net_revenue
    from filled
    left join filled as previous_month
        on
            filled.country_code = previous_month.country_code
            and previous_month.month_start_date
            = cast(
                {{ dbt.dateadd('month', -1, 'filled.month_start_date') }}
                as date
            )

),

final as (

    select
        country_code,
        month_start_date,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(gross_sales as numeric(18, 2)) as gross_sales,
        cast(order_count as integer) as order_count,
        cast(active_customer_count as integer) as active_customer_count,
        {{ divide_rounded('gross_sales', 'order_count') }}
            as average_order_value,
        {{ divide_rounded(
            '100 * (net_revenue - previous_month_net_revenue)',
            'abs(previous_month_net_revenue)'
        ) }} as net_revenue_mom_growth_pct,
        is_complete_month
    from compared

)

select * from final

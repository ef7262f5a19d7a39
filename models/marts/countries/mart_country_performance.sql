with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

dim_countries as (

    select * from {{ ref('dim_countries') }}

),

-- Growth compares the last 12 months of data (to the last invoice date)
-- with the 12 months before.
window_bounds as (

    select
        max(invoice_date) as last_date,
        cast({{ dbt.dateadd('month', -12, 'max(invoice_date)') }} as date)
            as last_12_start,
        cast({{ dbt.dateadd('month', -24, 'max(invoice_date)') }} as date)
            as prior_12_start
    from fct_invoices

),

countries_aggregated as (

    select
        fct_invoices.country_code,
        sum(fct_invoices.product_amount) as net_revenue,
        sum(
            case
                when fct_invoices.is_purchase then fct_invoices.product_amount
                else 0
            end
        ) as gross_sales,
        sum(case when fct_invoices.is_purchase then 1 else 0 end)
            as order_count,
        sum(case when fct_invoices.is_cancellation then 1 else 0 end)
            as cancelled_invoice_count,
        count(
            distinct case
                when fct_invoices.is_purchase then fct_invoices.customer_id
            end
        ) as customer_count,
        sum(
            case
                when fct_invoices.invoice_date > window_bounds.last_12_start
                    then fct_invoices.product_amount
                else 0
            end
        ) as net_revenue_last_12_months,
        sum(
            case
                when
                    fct_invoices.invoice_date > window_bounds.prior_12_start
                    and fct_invoices.invoice_date
                    <= window_bounds.last_12_start
                    then fct_invoices.product_amount
                else 0
            end
        ) as net_revenue_prior_12_months
    from fct_invoices
    cross join window_bounds
    group by 1

),

totals as (

    select sum(net_revenue) as total_net_revenue
    from countries_aggregated

),

final as (

    select
        countries_aggregated.country_code,
        dim_countries.country_name,
        dim_countries.region,
        cast(
            row_number() over (
                order by
                    countries_aggregated.net_revenue desc,
                    countries_aggregated.country_code asc
            ) as integer
        ) as revenue_rank,
        cast(countries_aggregated.net_revenue as numeric(18, 2))
            as net_revenue,
        {{ divide_rounded(
            'countries_aggregated.net_revenue', 'totals.total_net_revenue', 4, 9
        ) }} as revenue_share,
        cast(countries_aggregated.gross_sales as numeric(18, 2))
            as gross_sales,
        cast(countries_aggregated.customer_count as integer) as customer_count,
        cast(countries_aggregated.order_count as integer)
            as order_count,
        cast(countries_aggregated.cancelled_invoice_count as integer)
            as cancelled_invoice_count,
        {{ divide_rounded(
            'countries_aggregated.gross_sales',
            'countries_aggregated.order_count'
        ) }} as average_order_value,
        cast(countries_aggregated.net_revenue_last_12_months as numeric(18, 2))
            as net_revenue_last_12_months,
        cast(
            countries_aggregated.net_revenue_prior_12_months as numeric(18, 2)
        ) as net_revenue_prior_12_months,
        {{ divide_rounded(
            '100 * (countries_aggregated.net_revenue_last_12_months - '
            ~ 'countries_aggregated.net_revenue_prior_12_months)',
            'abs(countries_aggregated.net_revenue_prior_12_months)'
        ) }} as net_revenue_growth_12m_pct
    from countries_aggregated
    inner join dim_countries
        on countries_aggregated.country_code = dim_countries.country_code
    cross join totals

)

select * from final

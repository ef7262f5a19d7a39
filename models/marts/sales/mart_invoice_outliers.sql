with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

mart_invoice_value_distribution as (

    select * from {{ ref('mart_invoice_value_distribution') }}

),

overall as (

    select
        outlier_threshold,
        median_amount
    from mart_invoice_value_distribution
    where period_type = 'overall'

),

final as (

    select
        fct_invoices.invoice_id,
        fct_invoices.customer_id,
        fct_invoices.country_code,
        cast(fct_invoices.product_amount as numeric(18, 2)) as product_amount,
        overall.outlier_threshold,
        {{ divide_rounded(
            'fct_invoices.product_amount', 'overall.median_amount'
        ) }} as times_median,
        fct_invoices.units,
        fct_invoices.invoiced_at,
        fct_invoices.invoice_date
    from fct_invoices
    cross join overall
    where
        fct_invoices.is_purchase
        and fct_invoices.product_amount > overall.outlier_threshold

)

select * from final

with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

dim_countries as (

    select * from {{ ref('dim_countries') }}

),

int_invoice_values_summarized as (

    select * from {{ ref('int_invoice_values_summarized') }}

),

final as (

    select
        fct_invoices.invoice_id,
        fct_invoices.customer_id,
        fct_invoices.country_code,
        dim_countries.country_name,
        cast(fct_invoices.product_amount as numeric(18, 2)) as product_amount,
        cast(
            int_invoice_values_summarized.outlier_threshold as numeric(18, 2)
        ) as outlier_threshold,
        {{ divide_rounded(
            'fct_invoices.product_amount',
            'int_invoice_values_summarized.median_amount'
        ) }} as times_median,
        fct_invoices.units,
        fct_invoices.invoiced_at,
        fct_invoices.invoice_date
    from fct_invoices
    cross join int_invoice_values_summarized
    left join dim_countries
        on fct_invoices.country_code = dim_countries.country_code
    where
        fct_invoices.is_purchase
        and fct_invoices.product_amount
        > int_invoice_values_summarized.outlier_threshold

)

select * from final

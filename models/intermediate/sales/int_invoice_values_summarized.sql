{% set quartiles = [0.25, 0.50, 0.75] %}

with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

-- Outlier rule (Tukey's far-out fence): above Q3 + k x IQR of all purchase
-- invoices' product values, k = var invoice_outlier_iqr_multiplier (3).
quartiles as (

    select
        count(*) as purchase_invoice_count,
        {{ percentile_cont('product_amount', 0.25, quartiles) }} as p25_amount,
        {{ percentile_cont('product_amount', 0.50, quartiles) }}
            as median_amount,
        {{ percentile_cont('product_amount', 0.75, quartiles) }} as p75_amount
    from fct_invoices
    where is_purchase

),

final as (

    select
        cast(purchase_invoice_count as integer) as purchase_invoice_count,
        p25_amount,
        median_amount,
        p75_amount,
        p75_amount
        + {{ var('invoice_outlier_iqr_multiplier') }} * (
            p75_amount - p25_amount
        ) as outlier_threshold
    from quartiles

)

select * from final

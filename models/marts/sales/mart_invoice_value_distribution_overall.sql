with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

int_invoice_values_summarized as (

    select * from {{ ref('int_invoice_values_summarized') }}

),

final as (

    select
        {{ invoice_value_statistics(
            'int_invoice_values_summarized.outlier_threshold'
        ) }}
    from fct_invoices
    cross join int_invoice_values_summarized
    where fct_invoices.is_purchase

)

select * from final

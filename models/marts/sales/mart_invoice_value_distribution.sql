with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

int_invoice_values_summarized as (

    select * from {{ ref('int_invoice_values_summarized') }}

),

purchases as (

    select
        product_amount,
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date)
            as month_start_date
    from fct_invoices
    where is_purchase

),

-- One threshold for every month (of all purchase invoices), so months are
-- comparable.
final as (

    select
        cast(
            {{ year_month_label('purchases.month_start_date') }}
            as {{ dbt.type_string() }}
        ) as period,
        purchases.month_start_date,
        {{ invoice_value_statistics(
            'int_invoice_values_summarized.outlier_threshold'
        ) }}
    from purchases
    cross join int_invoice_values_summarized
    group by 1, 2

)

select * from final

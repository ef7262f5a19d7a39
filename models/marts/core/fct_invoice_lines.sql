with

int_invoice_lines_cleaned as (

    select * from {{ ref('int_invoice_lines_cleaned') }}

),

final as (

    select
        invoice_line_id,
        invoice_id,
        customer_id,
        product_id,
        country_code,
        invoice_kind,
        line_category,
        revenue_group,
        description,
        quantity,
        unit_price,
        line_amount,
        is_product,
        has_customer,
        is_cancellation,
        invoiced_at,
        invoice_date,
        load_id,
        source_row_number
    from int_invoice_lines_cleaned

)

select * from final

with

int_invoice_lines_classified as (

    select * from {{ ref('int_invoice_lines_classified') }}

),

final as (

    select
        invoice_line_id,
        load_id,
        source_row_number,
        invoice_id,
        product_id,
        customer_id,
        country_code,
        exclusion_reason,
        source_stock_code,
        description,
        country,
        invoice_kind,
        line_category,
        quantity,
        unit_price,
        line_amount,
        copy_number,
        has_customer,
        invoiced_at
    from int_invoice_lines_classified
    where not is_included

)

select * from final

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
        description,
        invoice_kind,
        line_category,
        revenue_group,
        quantity,
        unit_price,
        line_amount,
        is_product,
        has_customer,
        is_cancellation,
        invoiced_at,
        invoice_date
    from int_invoice_lines_classified
    where is_included

)

select * from final

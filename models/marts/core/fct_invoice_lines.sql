{{
    config(
        materialized='incremental',
        unique_key='invoice_line_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

int_invoice_lines_cleaned as (

    select * from {{ ref('int_invoice_lines_cleaned') }}

),

final as (

    -- Text columns cast to one type, so PostgreSQL's text and varchar
    -- never differ between a full and an incremental run.
    select
        cast(invoice_line_id as varchar) as invoice_line_id,
        cast(invoice_id as varchar) as invoice_id,
        customer_id,
        cast(product_id as varchar) as product_id,
        cast(country_code as varchar) as country_code,
        cast(invoice_kind as varchar) as invoice_kind,
        cast(line_category as varchar) as line_category,
        cast(revenue_group as varchar) as revenue_group,
        cast(description as varchar) as description,
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
    {% if is_incremental() -%}
    where load_id > {{ new_loads_after() }}
    {%- endif %}

)

select * from final

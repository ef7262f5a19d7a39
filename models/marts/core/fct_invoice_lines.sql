{{ config(**incremental_by_grain('invoice_line_id', partition_by='load_id')) }}

with

int_sales_lines_standardized as (

    select * from {{ ref('int_sales_lines_standardized') }}

),

final as (

    -- Text columns cast to one type, so PostgreSQL's text and varchar
    -- never differ between a full and an incremental run.
    -- The sales core's order is the invoice here: a TPC-H order, or its
    -- credit note for returned lines.
    select
        cast(sales_line_id as {{ text_type() }}) as invoice_line_id,
        cast(order_id as {{ text_type() }}) as invoice_id,
        customer_id,
        cast(product_id as {{ text_type() }}) as product_id,
        cast(location_id as {{ text_type() }}) as country_code,
        cast(order_kind as {{ text_type() }}) as invoice_kind,
        cast(line_category as {{ text_type() }}) as line_category,
        cast(revenue_group as {{ text_type() }}) as revenue_group,
        cast(description as {{ text_type() }}) as description,
        quantity,
        unit_price,
        net_amount as line_amount,
        is_product,
        has_customer,
        is_cancellation,
        ordered_at as invoiced_at,
        order_date as invoice_date,
        load_id,
        source_row_number,
        cast(line_kind as {{ text_type() }}) as line_kind,
        cast(employee_id as {{ text_type() }}) as employee_id,
        cast(supplier_id as {{ text_type() }}) as supplier_id,
        discount_amount,
        unit_cost,
        cost_amount,
        is_late_delivery
    from int_sales_lines_standardized
    {% if is_incremental() -%}
    where load_id > {{ new_loads_after() }}
    {%- endif %}

)

select * from final

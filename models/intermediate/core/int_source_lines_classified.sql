{#-
    One row per raw sales line of the source chosen by sales_source, with
    the reason it is left out of the facts (null when it is kept), its
    quantity and amount as the source states them: what the raw-line
    accounting (mart_line_accounting) counts.
-#}
with

{% if sales_source() == 'tpch' -%}

int_order_lines_classified as (

    select * from {{ ref('int_order_lines_classified') }}

),

-- A returned TPC-H line counts once here, as the sale it was; its credit
-- line in the facts is derived from it.
lines_mapped as (

    select
        order_line_id as source_line_id,
        load_id,
        source_row_number,
        exclusion_reason,
        quantity,
        net_amount as amount
    from int_order_lines_classified

),

{%- else %}

int_invoice_lines_classified as (

    select * from {{ ref('int_invoice_lines_classified') }}

),

lines_mapped as (

    select
        invoice_line_id as source_line_id,
        load_id,
        source_row_number,
        exclusion_reason,
        quantity,
        line_amount as amount
    from int_invoice_lines_classified

),

{%- endif %}

final as (

    select
        cast(source_line_id as {{ dbt.type_string() }}) as source_line_id,
        cast(load_id as integer) as load_id,
        cast(source_row_number as bigint) as source_row_number,
        cast(exclusion_reason as {{ dbt.type_string() }})
            as exclusion_reason,
        cast(quantity as integer) as quantity,
        cast(amount as numeric(18, 3)) as amount,
        exclusion_reason is null as is_included
    from lines_mapped

)

select * from final

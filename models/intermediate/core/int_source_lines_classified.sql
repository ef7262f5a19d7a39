{#-
    One row per raw sales line of the source chosen by sales_source, with
    the reason it is left out of the facts (null when it is kept), its
    order, customer, quantity, price, amount and date as the source states
    them, and its lineage: what the raw-line accounting
    (mart_line_accounting), the load monitor (mart_load_quality) and the
    classic RFM recipe (which reads every line) count.
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
        source_file,
        loaded_at,
        exclusion_reason,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        customer_id,
        quantity,
        unit_price,
        net_amount as amount,
        customer_id is not null as has_customer,
        order_date
    from int_order_lines_classified

),

{%- else %}

int_invoice_lines_classified as (

    select * from {{ ref('int_invoice_lines_classified') }}

),

stg_online_retail__invoice_lines as (

    select * from {{ ref('stg_online_retail__invoice_lines') }}

),

lines_mapped as (

    select
        int_invoice_lines_classified.invoice_line_id as source_line_id,
        int_invoice_lines_classified.load_id,
        int_invoice_lines_classified.source_row_number,
        stg_online_retail__invoice_lines.source_file,
        stg_online_retail__invoice_lines.loaded_at,
        int_invoice_lines_classified.exclusion_reason,
        int_invoice_lines_classified.invoice_id as order_id,
        int_invoice_lines_classified.customer_id,
        int_invoice_lines_classified.quantity,
        int_invoice_lines_classified.unit_price,
        int_invoice_lines_classified.line_amount as amount,
        int_invoice_lines_classified.has_customer,
        int_invoice_lines_classified.invoice_date as order_date
    from int_invoice_lines_classified
    inner join stg_online_retail__invoice_lines
        on
            int_invoice_lines_classified.load_id
            = stg_online_retail__invoice_lines.load_id
            and int_invoice_lines_classified.source_row_number
            = stg_online_retail__invoice_lines.source_row_number

),

{%- endif %}

final as (

    select
        cast(source_line_id as {{ dbt.type_string() }}) as source_line_id,
        cast(load_id as integer) as load_id,
        cast(source_row_number as bigint) as source_row_number,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        loaded_at,
        cast(exclusion_reason as {{ dbt.type_string() }})
            as exclusion_reason,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(customer_id as integer) as customer_id,
        cast(quantity as integer) as quantity,
        cast(unit_price as numeric(18, 3)) as unit_price,
        cast(amount as numeric(18, 3)) as amount,
        exclusion_reason is null as is_included,
        has_customer,
        order_date
    from lines_mapped

)

select * from final

{#-
    The sales core: every sales line of the source chosen by the var
    sales_source, in one contract that every fact and mart reads. Each
    branch only maps columns; the cleaning stays in the source's own
    intermediate models. docs/sources.md has the mapping table.
-#}
{%- set tpch_line_kinds = [
    {'kind': 'sale', 'sign': 1},
    {'kind': 'return', 'sign': -1},
] %}

with

{% if sales_source() == 'tpch' -%}

int_order_lines_classified as {{ not_materialized() }} (

    select * from {{ ref('int_order_lines_classified') }}

),

-- A TPC-H line is a sale; a returned line (return flag R) is also taken
-- back on a credit note 'R<order key>' dated when the goods were received
-- (the earliest a return can happen; TPC-H has no return date), with
-- quantity, money and cost negated: returns reduce net revenue the way
-- Online Retail II's cancellations do.
lines_mapped as (

    {% for line in tpch_line_kinds -%}
    select
        {% if line.kind == 'sale' -%}
        order_line_id as sales_line_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        'sale' as order_kind,
        {%- else -%}
        {{ surrogate_key(['order_line_id', "'return'"]) }} as sales_line_id,
        'R' || cast(order_id as {{ dbt.type_string() }}) as order_id,
        'cancellation' as order_kind,
        {%- endif %}
        '{{ line.kind }}' as line_kind,
        cast(part_id as {{ dbt.type_string() }}) as product_id,
        customer_id,
        country_code as location_id,
        clerk_id as employee_id,
        cast(supplier_id as {{ dbt.type_string() }}) as supplier_id,
        part_name as description,
        'product' as line_category,
        'product' as revenue_group,
        {{ line.sign }} * quantity as quantity,
        unit_price,
        discount_rate,
        {{ line.sign }} * discount_amount as discount_amount,
        {{ line.sign }} * net_amount as net_amount,
        {{ line.sign }} * tax_amount as tax_amount,
        supply_cost as unit_cost,
        {{ line.sign }} * cost_amount as cost_amount,
        '{{ var("tpch_currency") }}' as currency_code,
        true as is_product,
        true as has_customer,
        {{ 'false' if line.kind == 'sale' else 'true' }} as is_cancellation,
        is_late_delivery,
        cast(
            {{ 'order_date' if line.kind == 'sale' else 'receipt_date' }}
            as timestamp
        ) as ordered_at,
        'tpch' as source_system,
        load_id,
        source_row_number
    from int_order_lines_classified
    where
        is_included
        {%- if line.kind == 'return' %}
        and is_returned
        {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

{%- else %}

int_invoice_lines_cleaned as (

    select * from {{ ref('int_invoice_lines_cleaned') }}

),

-- Online Retail II: one sales line per kept invoice line. A cancellation
-- invoice's lines are cancellations, a non-product line (postage, fees,
-- manual adjustments) is of its revenue group, the rest are sales. No
-- discounts (they are lines of their own), tax, costs, employees or
-- suppliers in the source.
lines_mapped as (

    select
        invoice_line_id as sales_line_id,
        invoice_id as order_id,
        invoice_kind as order_kind,
        case
            when invoice_kind = 'cancellation' then 'cancellation'
            when revenue_group != 'product' then revenue_group
            when invoice_kind = 'adjustment' then 'adjustment'
            else 'sale'
        end as line_kind,
        product_id,
        customer_id,
        country_code as location_id,
        cast(null as {{ dbt.type_string() }}) as employee_id,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        description,
        line_category,
        revenue_group,
        quantity,
        unit_price,
        cast(0 as numeric(4, 2)) as discount_rate,
        cast(0 as numeric(18, 2)) as discount_amount,
        line_amount as net_amount,
        cast(null as numeric(18, 2)) as tax_amount,
        cast(null as numeric(18, 2)) as unit_cost,
        cast(null as numeric(18, 2)) as cost_amount,
        '{{ var("online_retail_currency") }}' as currency_code,
        is_product,
        has_customer,
        is_cancellation,
        cast(null as boolean) as is_late_delivery,
        invoiced_at as ordered_at,
        'online_retail' as source_system,
        load_id,
        source_row_number
    from int_invoice_lines_cleaned

),

{%- endif %}

final as (

    select
        cast(sales_line_id as {{ dbt.type_string() }}) as sales_line_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(order_kind as {{ dbt.type_string() }}) as order_kind,
        cast(line_kind as {{ dbt.type_string() }}) as line_kind,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(customer_id as integer) as customer_id,
        cast(location_id as {{ dbt.type_string() }}) as location_id,
        cast(employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(supplier_id as {{ dbt.type_string() }}) as supplier_id,
        cast(description as {{ dbt.type_string() }}) as description,
        cast(line_category as {{ dbt.type_string() }}) as line_category,
        cast(revenue_group as {{ dbt.type_string() }}) as revenue_group,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(quantity as integer) as quantity,
        cast(unit_price as numeric(18, 3)) as unit_price,
        cast(discount_rate as numeric(4, 2)) as discount_rate,
        cast(discount_amount as numeric(18, 2)) as discount_amount,
        cast(net_amount as numeric(18, 3)) as net_amount,
        cast(tax_amount as numeric(18, 2)) as tax_amount,
        cast(unit_cost as numeric(18, 2)) as unit_cost,
        cast(cost_amount as numeric(18, 2)) as cost_amount,
        is_product,
        has_customer,
        is_cancellation,
        is_late_delivery,
        ordered_at,
        cast(ordered_at as date) as order_date,
        cast(load_id as integer) as load_id,
        cast(source_row_number as bigint) as source_row_number
    from lines_mapped

)

select * from final

{{ config(
    pre_hook="{{ join_order_as_written() }}",
    **incremental_by_grain('order_line_id', partition_by='load_id')
) }}

with

stg_tpch__order_lines as {{ not_materialized() }} (

    select * from {{ ref('stg_tpch__order_lines') }}

),

stg_tpch__orders as (

    select * from {{ ref('stg_tpch__orders') }}

),

stg_tpch__customers as (

    select * from {{ ref('stg_tpch__customers') }}

),

stg_tpch__part_suppliers as (

    select * from {{ ref('stg_tpch__part_suppliers') }}

),

stg_tpch__parts as (

    select * from {{ ref('stg_tpch__parts') }}

),

int_nations_coded as (

    select * from {{ ref('int_nations_coded') }}

),

-- An incremental run classifies only the lines of new loads (see the macro
-- new_loads_after); the copies already classified of the same order lines
-- are counted so a new line that repeats one of them is known as a later
-- copy.
new_lines as {{ not_materialized() }} (

    select * from stg_tpch__order_lines
    {% if is_incremental() -%}
    where load_id > {{ new_loads_after() }}
    {%- endif %}

),

new_line_keys as (

    select
        order_id,
        line_number,
        count(*) as copies
    from new_lines
    group by order_id, line_number

),

earlier_copies as (

    {% if is_incremental() -%}
    select
        classified.order_id,
        classified.line_number,
        count(*) as copies
    from {{ this }} as classified
    inner join new_line_keys
        on
            classified.order_id = new_line_keys.order_id
            and classified.line_number = new_line_keys.line_number
    where classified.load_id <= {{ new_loads_after() }}
    group by classified.order_id, classified.line_number
    {%- else -%}
    select
        order_id,
        line_number,
        0 as copies
    from new_line_keys
    where 1 = 0
    {%- endif %}

),

-- The first copy of an order line (order key and line number) in load and
-- file order is kept; later copies are duplicates. Copies are rare, so only
-- the lines whose key repeats among the new lines are numbered by a window:
-- numbering every line would sort every line with all its columns.
repeated_lines_numbered as (

    select
        new_lines.load_id,
        new_lines.source_row_number,
        row_number() over (
            partition by new_lines.order_id, new_lines.line_number
            order by new_lines.load_id, new_lines.source_row_number
        ) as copy_number
    from new_lines
    inner join new_line_keys
        on
            new_lines.order_id = new_line_keys.order_id
            and new_lines.line_number = new_line_keys.line_number
    where new_line_keys.copies > 1

),

lines_numbered as (

    select
        new_lines.*,
        coalesce(earlier_copies.copies, 0)
        + coalesce(repeated_lines_numbered.copy_number, 1) as copy_number
    from new_lines
    left join repeated_lines_numbered
        on
            new_lines.load_id = repeated_lines_numbered.load_id
            and new_lines.source_row_number
            = repeated_lines_numbered.source_row_number
    left join earlier_copies
        on
            new_lines.order_id = earlier_copies.order_id
            and new_lines.line_number = earlier_copies.line_number

),

lines_joined as (

    select
        lines_numbered.*,
        stg_tpch__orders.order_id as known_order_id,
        stg_tpch__orders.customer_id,
        stg_tpch__orders.clerk_id,
        stg_tpch__orders.order_date,
        stg_tpch__customers.customer_id as known_customer_id,
        stg_tpch__customers.nation_id as customer_nation_id,
        stg_tpch__part_suppliers.supply_cost,
        stg_tpch__parts.part_name,
        int_nations_coded.country_code
    from lines_numbered
    left join stg_tpch__orders
        on lines_numbered.order_id = stg_tpch__orders.order_id
    left join stg_tpch__customers
        on stg_tpch__orders.customer_id = stg_tpch__customers.customer_id
    left join stg_tpch__part_suppliers
        on
            lines_numbered.part_id = stg_tpch__part_suppliers.part_id
            and lines_numbered.supplier_id
            = stg_tpch__part_suppliers.supplier_id
    left join stg_tpch__parts
        on lines_numbered.part_id = stg_tpch__parts.part_id
    left join int_nations_coded
        on stg_tpch__customers.nation_id = int_nations_coded.nation_id

),

-- The rules, in the order of the seed tpch_exclusion_reasons: a line gets
-- the first reason that matches, or none when it is kept.
lines_classified as (

    select
        *,
        case
            when copy_number > 1 then 'duplicate_line'
            when known_order_id is null then 'unknown_order'
            when known_customer_id is null then 'unknown_customer'
            when supply_cost is null then 'unknown_part_supplier'
        end as exclusion_reason
    from lines_joined

),

-- Money of the line. The unit price is the part's list price (TPC-H:
-- extended price = quantity x retail price). The net amount is the
-- extended price less the discount, rounded half up to the cent as an
-- invoice line is; tax is kept apart and not revenue.
lines_priced as (

    select
        *,
        cast(extended_price / quantity as numeric(18, 3)) as unit_price,
        cast(
            round(extended_price * (1 - discount_rate), 2) as numeric(18, 2)
        ) as net_amount
    from lines_classified

),

final as (

    select
        order_line_id,
        load_id,
        source_row_number,
        order_id,
        line_number,
        part_id,
        supplier_id,
        customer_id,
        customer_nation_id,
        country_code,
        clerk_id,
        part_name,
        exclusion_reason,
        return_flag,
        quantity,
        unit_price,
        extended_price,
        discount_rate,
        cast(extended_price - net_amount as numeric(18, 2))
            as discount_amount,
        net_amount,
        tax_rate,
        cast(round(net_amount * tax_rate, 2) as numeric(18, 2)) as tax_amount,
        supply_cost,
        cast(quantity * supply_cost as numeric(18, 2)) as cost_amount,
        cast(copy_number as integer) as copy_number,
        is_returned,
        exclusion_reason is null as is_included,
        receipt_date > commit_date as is_late_delivery,
        order_date,
        ship_date,
        commit_date,
        receipt_date,
        source_file,
        loaded_at
    from lines_priced

)

select * from final

{#-
    One row per product of the source chosen by sales_source, with what the
    source knows of it: TPC-H has a part master (type, brand, manufacturer,
    list price, supply costs); Online Retail II has only the stock codes on
    its invoice lines (names come from the lines, in dim_products).
-#}
with

{% if sales_source() == 'tpch' -%}

stg_tpch__parts as (

    select * from {{ ref('stg_tpch__parts') }}

),

stg_tpch__part_suppliers as (

    select * from {{ ref('stg_tpch__part_suppliers') }}

),

supply_costs as (

    select
        part_id,
        count(*) as supplier_count,
        min(supply_cost) as min_supply_cost,
        max(supply_cost) as max_supply_cost
    from stg_tpch__part_suppliers
    group by 1

),

products_mapped as (

    select
        stg_tpch__parts.part_id as product_id,
        stg_tpch__parts.part_name as product_name,
        stg_tpch__parts.part_type as product_type,
        stg_tpch__parts.brand,
        stg_tpch__parts.manufacturer,
        stg_tpch__parts.retail_price as list_price,
        supply_costs.min_supply_cost as min_unit_cost,
        supply_costs.max_supply_cost as max_unit_cost,
        coalesce(supply_costs.supplier_count, 0) as supplier_count
    from stg_tpch__parts
    left join supply_costs
        on stg_tpch__parts.part_id = supply_costs.part_id

),

{%- else %}

int_invoice_lines_cleaned as (

    select * from {{ ref('int_invoice_lines_cleaned') }}

),

products_mapped as (

    select
        product_id,
        cast(null as {{ dbt.type_string() }}) as product_name,
        cast(null as {{ dbt.type_string() }}) as product_type,
        cast(null as {{ dbt.type_string() }}) as brand,
        cast(null as {{ dbt.type_string() }}) as manufacturer,
        cast(null as numeric(18, 2)) as list_price,
        cast(null as numeric(18, 2)) as min_unit_cost,
        cast(null as numeric(18, 2)) as max_unit_cost,
        0 as supplier_count
    from int_invoice_lines_cleaned
    group by 1

),

{%- endif %}

final as (

    select
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(product_name as {{ dbt.type_string() }}) as product_name,
        cast(product_type as {{ dbt.type_string() }}) as product_type,
        cast(brand as {{ dbt.type_string() }}) as brand,
        cast(manufacturer as {{ dbt.type_string() }}) as manufacturer,
        cast(list_price as numeric(18, 2)) as list_price,
        cast(min_unit_cost as numeric(18, 2)) as min_unit_cost,
        cast(max_unit_cost as numeric(18, 2)) as max_unit_cost,
        cast(supplier_count as integer) as supplier_count
    from products_mapped

)

select * from final

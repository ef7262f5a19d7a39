{#-
    One row per supplier, for sources that have them (using_suppliers;
    TPC-H's supplier table), with the supplier's location in the same ISO
    codes as customers'.
-#}
with

stg_tpch__suppliers as (

    select * from {{ ref('stg_tpch__suppliers') }}

),

stg_tpch__nations as (

    select * from {{ ref('stg_tpch__nations') }}

),

tpch_nation_codes as (

    select * from {{ ref('tpch_nation_codes') }}

),

suppliers_mapped as (

    select
        stg_tpch__suppliers.supplier_id,
        stg_tpch__suppliers.supplier_name,
        tpch_nation_codes.country_code as location_id
    from stg_tpch__suppliers
    left join stg_tpch__nations
        on stg_tpch__suppliers.nation_id = stg_tpch__nations.nation_id
    left join tpch_nation_codes
        on stg_tpch__nations.nation_name = tpch_nation_codes.nation_name

),

final as (

    select
        cast(supplier_id as {{ dbt.type_string() }}) as supplier_id,
        cast(supplier_name as {{ dbt.type_string() }}) as supplier_name,
        cast(location_id as {{ dbt.type_string() }}) as location_id
    from suppliers_mapped

)

select * from final

{#-
    One row per supplier, for sources that have them (using_suppliers;
    TPC-H's supplier table), with the supplier's location in the same ISO
    codes as customers'.
-#}
with

stg_tpch__suppliers as (

    select * from {{ ref('stg_tpch__suppliers') }}

),

int_nations_coded as (

    select * from {{ ref('int_nations_coded') }}

),

suppliers_mapped as (

    select
        stg_tpch__suppliers.supplier_id,
        stg_tpch__suppliers.supplier_name,
        int_nations_coded.country_code as location_id
    from stg_tpch__suppliers
    left join int_nations_coded
        on stg_tpch__suppliers.nation_id = int_nations_coded.nation_id

),

final as (

    select
        cast(supplier_id as {{ dbt.type_string() }}) as supplier_id,
        cast(supplier_name as {{ dbt.type_string() }}) as supplier_name,
        cast(location_id as {{ dbt.type_string() }}) as location_id
    from suppliers_mapped

)

select * from final

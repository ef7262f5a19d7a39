{#-
    One row per TPC-H nation with its ISO code and standard name: the one
    place TPC-H's nations become the countries every source reports in.
    Customers, suppliers, locations and order lines join it by nation_id.
-#}
with

stg_tpch__nations as (

    select * from {{ ref('stg_tpch__nations') }}

),

tpch_nation_codes as (

    select * from {{ ref('tpch_nation_codes') }}

),

final as (

    select
        stg_tpch__nations.nation_id,
        stg_tpch__nations.region_id,
        stg_tpch__nations.nation_name,
        tpch_nation_codes.country_code,
        tpch_nation_codes.country_name
    from stg_tpch__nations
    inner join tpch_nation_codes
        on stg_tpch__nations.nation_name = tpch_nation_codes.nation_name

)

select * from final

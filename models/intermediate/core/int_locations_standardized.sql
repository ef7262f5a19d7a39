{#-
    One row per location of the source chosen by sales_source: today a
    country (Online Retail II's country names, TPC-H's nations), in ISO
    codes, with a sales region. Stores would be rows of their own with the
    country as a column (docs/sources.md).
-#}
with

{% if sales_source() == 'tpch' -%}

int_nations_coded as (

    select * from {{ ref('int_nations_coded') }}

),

stg_tpch__regions as (

    select * from {{ ref('stg_tpch__regions') }}

),

-- TPC-H nations are ISO countries; the region is TPC-H's own.
locations_mapped as (

    select
        int_nations_coded.country_code as location_id,
        int_nations_coded.country_name,
        int_nations_coded.nation_name as source_country_name,
        stg_tpch__regions.region_name as region,
        true as is_iso_country
    from int_nations_coded
    left join stg_tpch__regions
        on int_nations_coded.region_id = stg_tpch__regions.region_id

),

{%- else %}

country_codes as (

    select * from {{ ref('country_codes') }}

),

locations_mapped as (

    select
        country_code as location_id,
        country_name,
        country as source_country_name,
        region,
        is_iso_country
    from country_codes

),

{%- endif %}

final as (

    select
        cast(location_id as {{ dbt.type_string() }}) as location_id,
        cast(location_id as {{ dbt.type_string() }}) as country_code,
        cast(country_name as {{ dbt.type_string() }}) as country_name,
        cast(source_country_name as {{ dbt.type_string() }})
            as source_country_name,
        cast(region as {{ dbt.type_string() }}) as region,
        is_iso_country
    from locations_mapped

)

select * from final

with

source as (

    select * from {{ source('tpch', 'tpch_region') }}

),

renamed as (

    select
        -- ids
        cast(r_regionkey as integer) as region_id,

        -- strings
        trim(r_name) as region_name,

        -- lineage
        source_file,
        source_row_number,
        load_id,
        loaded_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('tpch', 'tpch_nation') }}

),

renamed as (

    select
        -- ids
        cast(n_nationkey as integer) as nation_id,
        cast(n_regionkey as integer) as region_id,

        -- strings
        trim(n_name) as nation_name,

        -- lineage
        source_file,
        source_row_number,
        load_id,
        loaded_at

    from source

)

select * from renamed

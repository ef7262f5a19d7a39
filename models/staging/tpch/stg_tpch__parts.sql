with

source as (

    select * from {{ source('tpch', 'tpch_part') }}

),

renamed as (

    select
        -- ids
        cast(p_partkey as integer) as part_id,

        -- strings
        trim(p_name) as part_name,
        trim(p_mfgr) as manufacturer,
        trim(p_brand) as brand,
        trim(p_type) as part_type,
        trim(p_container) as container,

        -- numerics
        cast(p_size as integer) as part_size,
        cast(p_retailprice as numeric(18, 2)) as retail_price,

        -- lineage
        source_file,
        source_row_number,
        load_id,
        loaded_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('tpch', 'tpch_partsupp') }}

),

renamed as (

    select
        -- ids
        cast(ps_partkey as integer) as part_id,
        cast(ps_suppkey as integer) as supplier_id,

        -- numerics
        cast(ps_availqty as integer) as available_quantity,
        cast(ps_supplycost as numeric(18, 2)) as supply_cost,

        -- lineage
        source_file,
        source_row_number,
        load_id,
        loaded_at

    from source

)

select * from renamed

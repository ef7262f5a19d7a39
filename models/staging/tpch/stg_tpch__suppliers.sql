with

source as (

    select * from {{ source('tpch', 'tpch_supplier') }}

),

renamed as (

    select
        -- ids
        cast(s_suppkey as integer) as supplier_id,
        cast(s_nationkey as integer) as nation_id,

        -- strings
        trim(s_name) as supplier_name,

        -- numerics
        cast(s_acctbal as numeric(18, 2)) as account_balance,

        -- lineage
        source_file,
        source_row_number,
        load_id,
        loaded_at

    from source

)

select * from renamed

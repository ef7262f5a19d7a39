with

source as (

    select * from {{ source('tpch', 'tpch_customer') }}

),

renamed as (

    select
        -- ids
        cast(c_custkey as integer) as customer_id,
        cast(c_nationkey as integer) as nation_id,

        -- strings
        trim(c_name) as customer_name,
        trim(c_mktsegment) as market_segment,

        -- numerics
        cast(c_acctbal as numeric(18, 2)) as account_balance,

        -- lineage
        source_file,
        source_row_number,
        load_id,
        loaded_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('tpch', 'tpch_orders') }}

),

renamed as (

    select
        -- ids
        cast(o_orderkey as bigint) as order_id,
        cast(o_custkey as integer) as customer_id,
        trim(o_clerk) as clerk_id,

        -- strings
        trim(o_orderstatus) as order_status,
        trim(o_orderpriority) as order_priority,

        -- numerics
        cast(o_totalprice as numeric(18, 2)) as total_price,
        cast(o_shippriority as integer) as ship_priority,

        -- dates
        cast(o_orderdate as date) as order_date,

        -- lineage
        source_file,
        source_row_number,
        load_id,
        loaded_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('tpch', 'tpch_lineitem') }}

),

renamed as (

    select
        -- ids
        {{ surrogate_key(['load_id', 'source_row_number']) }}
            as order_line_id,
        cast(l_orderkey as bigint) as order_id,
        cast(l_linenumber as integer) as line_number,
        cast(l_partkey as integer) as part_id,
        cast(l_suppkey as integer) as supplier_id,

        -- strings
        trim(l_returnflag) as return_flag,
        trim(l_linestatus) as line_status,
        trim(l_shipinstruct) as ship_instruction,
        trim(l_shipmode) as ship_mode,

        -- numerics
        cast(cast(l_quantity as numeric(18, 2)) as integer) as quantity,
        cast(l_extendedprice as numeric(18, 2)) as extended_price,
        cast(l_discount as numeric(4, 2)) as discount_rate,
        cast(l_tax as numeric(4, 2)) as tax_rate,

        -- booleans
        trim(l_returnflag) = 'R' as is_returned,

        -- dates
        cast(l_shipdate as date) as ship_date,
        cast(l_commitdate as date) as commit_date,
        cast(l_receiptdate as date) as receipt_date,

        -- lineage
        source_file,
        source_row_number,
        load_id,
        loaded_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('online_retail', 'invoice_lines') }}

),

renamed as (

    select
        -- ids
        {{ surrogate_key(['load_id', 'source_row_number']) }}
            as invoice_line_id,
        load_id,
        source_row_number,
        trim(invoice) as invoice_id,
        upper(trim(stock_code)) as product_id,
        cast(customer_id as integer) as customer_id,

        -- strings
        stock_code as source_stock_code,
        nullif(trim(description), '') as description,
        trim(country) as country,
        case upper(substring(trim(invoice), 1, 1))
            when 'C' then 'cancellation'
            when 'A' then 'adjustment'
            else 'sale'
        end as invoice_kind,
        source_file,

        -- numerics
        cast(quantity as integer) as quantity,
        cast(price as numeric(18, 3)) as unit_price,
        cast(
            cast(quantity as integer) * cast(price as numeric(18, 3))
            as numeric(18, 3)
        ) as line_amount,

        -- booleans
        customer_id is not null as has_customer,
        upper(substring(trim(invoice), 1, 1)) = 'C' as is_cancellation,

        -- timestamps
        cast(invoice_date as timestamp) as invoiced_at,
        cast(cast(invoice_date as timestamp) as date) as invoice_date,
        loaded_at

    from source

)

select * from renamed

with

source as (

    {{ source_or_empty('loyalty', 'loyalty_transactions', [
        'user_id', 'transaction_date', 'value_cents', 'point_differential',
        'source_file', 'source_row_number', 'load_id', 'loaded_at'
    ]) }}

),

renamed as (

    select
        -- ids
        {{ surrogate_key(['load_id', 'source_row_number']) }}
            as transaction_id,
        cast(user_id as bigint) as customer_id,
        cast(load_id as integer) as load_id,
        cast(source_row_number as integer) as source_row_number,

        -- strings
        source_file,

        -- numerics
        cast(value_cents as bigint) as value_cents,
        {{ cents_to_currency('value_cents') }} as transaction_value,
        cast(point_differential as bigint) as point_differential,

        -- timestamps
        cast(transaction_date as timestamp) as transacted_at,
        cast(cast(transaction_date as timestamp) as date) as transaction_date,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed

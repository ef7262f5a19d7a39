with

source as (

    {{ source_or_empty('loyalty', 'loyalty_customers', [
        'id', 'signup_date', 'number_of_purchases', 'value_of_purchases',
        'total_standard_points', 'total_points_redeemed', 'source_file',
        'source_row_number', 'load_id', 'loaded_at'
    ]) }}

),

renamed as (

    select
        -- ids
        cast(id as bigint) as customer_id,
        cast(load_id as integer) as load_id,
        cast(source_row_number as integer) as source_row_number,

        -- strings
        source_file,

        -- numerics (blank in the file = null here)
        cast(number_of_purchases as integer) as number_of_purchases,
        cast(value_of_purchases as bigint) as value_of_purchases_cents,
        {{ cents_to_currency('value_of_purchases') }} as value_of_purchases,
        cast(total_standard_points as bigint) as total_standard_points,
        cast(total_points_redeemed as bigint) as total_points_redeemed,

        -- dates
        cast(signup_date as date) as signup_date,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed

with

dim_customers as (

    select * from {{ ref('dim_customers') }}

),

final as (

    select
        {{ repeat_purchase_measures() }}
    from dim_customers
    where has_purchase

)

select * from final

with

dim_customers as (

    select * from {{ ref('dim_customers') }}

),

final as (

    select
        country_code,
        {{ repeat_purchase_measures() }}
    from dim_customers
    where has_purchase
    group by 1

)

select * from final

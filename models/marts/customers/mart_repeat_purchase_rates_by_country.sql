with

dim_customers as (

    select * from {{ ref('dim_customers') }}

),

dim_countries as (

    select * from {{ ref('dim_countries') }}

),

rates_by_country as (

    select
        country_code,
        {{ repeat_purchase_measures() }}
    from dim_customers
    where has_purchase
    group by 1

),

final as (

    select
        rates_by_country.country_code,
        dim_countries.country_name,
        rates_by_country.customer_count,
        rates_by_country.repeat_customer_count,
        rates_by_country.repeat_rate
    from rates_by_country
    left join dim_countries
        on rates_by_country.country_code = dim_countries.country_code

)

select * from final

-- What share of customers buy again, overall and by country (countries with
-- at least 20 customers)?
with

mart_repeat_purchase_rates_overall as (

    select * from {{ ref('mart_repeat_purchase_rates_overall') }}

),

mart_repeat_purchase_rates_by_country as (

    select * from {{ ref('mart_repeat_purchase_rates_by_country') }}

),

overall_and_countries as (

    select
        'overall' as breakdown,
        'all customers' as breakdown_value,
        customer_count,
        repeat_customer_count,
        repeat_rate
    from mart_repeat_purchase_rates_overall
    union all
    select
        'country' as breakdown,
        country_code as breakdown_value,
        customer_count,
        repeat_customer_count,
        repeat_rate
    from mart_repeat_purchase_rates_by_country
    where customer_count >= 20

)

select * from overall_and_countries
order by breakdown desc, repeat_rate desc

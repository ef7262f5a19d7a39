-- What share of customers buy again, overall and by country (countries with
-- at least 20 customers)?
with

mart_repeat_purchase_rates as (

    select * from {{ ref('mart_repeat_purchase_rates') }}

)

select
    breakdown,
    breakdown_value,
    customers,
    repeat_customers,
    repeat_rate
from mart_repeat_purchase_rates
where breakdown = 'overall' or (breakdown = 'country' and customers >= 20)
order by breakdown desc, repeat_rate desc

-- How many customers reach a 2nd, 3rd, 4th and 5th order, where do they drop
-- off, and how long do they take between orders?
with

mart_purchase_ladder as (

    select * from {{ ref('mart_purchase_ladder') }}

)

select
    step_label,
    customers_reaching,
    share_of_customers,
    conversion_from_previous_step,
    drop_off_from_previous_step,
    p25_days_since_previous,
    median_days_since_previous,
    p75_days_since_previous
from mart_purchase_ladder
order by step

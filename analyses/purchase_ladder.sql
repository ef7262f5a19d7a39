-- How many customers reach a 2nd, 3rd, 4th and 5th order, where do they drop
-- off, and how long do they take between orders? Every customer ('all'),
-- then each first-purchase year.
with

mart_purchase_ladder as (

    select * from {{ ref('mart_purchase_ladder') }}

)

select
    cohort,
    step_label,
    reached_customer_count,
    customer_share,
    conversion_rate,
    dropped_customer_count,
    drop_off_rate,
    p25_days_since_previous,
    median_days_since_previous,
    p75_days_since_previous,
    p90_days_since_previous
from mart_purchase_ladder
order by case when cohort = 'all' then 0 else 1 end, cohort, step

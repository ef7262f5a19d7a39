-- Of the customers who first bought in a month, how many came back 1, 2, 3,
-- 6 and 12 months later, and what is a customer of each cohort worth?
with

mart_customer_cohorts as (

    select * from {{ ref('mart_customer_cohorts') }}

)

select
    cohort_month,
    max(cohort_customer_count) as cohort_customer_count,
    max(
        case when months_since_first_purchase = 1 then retention_rate end
    ) as retention_month_1,
    max(
        case when months_since_first_purchase = 2 then retention_rate end
    ) as retention_month_2,
    max(
        case when months_since_first_purchase = 3 then retention_rate end
    ) as retention_month_3,
    max(
        case when months_since_first_purchase = 6 then retention_rate end
    ) as retention_month_6,
    max(
        case when months_since_first_purchase = 12 then retention_rate end
    ) as retention_month_12,
    max(cumulative_revenue_per_customer) as revenue_per_customer_to_date
from mart_customer_cohorts
group by cohort_month
order by cohort_month

-- The cohort-year rows of mart_purchase_ladder add up to its 'all' rows:
-- per step, customers reaching it and customers dropped summed over the
-- first-purchase years equal the 'all' row's (every customer has exactly
-- one cohort). Returns the steps that disagree.
with

mart_purchase_ladder as (

    select * from {{ ref('mart_purchase_ladder') }}

),

years_summed as (

    select
        step,
        sum(reached_customer_count) as reached_customer_count,
        sum(dropped_customer_count) as dropped_customer_count
    from mart_purchase_ladder
    where cohort <> 'all'
    group by 1

),

all_cohorts as (

    select
        step,
        reached_customer_count,
        dropped_customer_count
    from mart_purchase_ladder
    where cohort = 'all'

)

select
    all_cohorts.step,
    all_cohorts.reached_customer_count,
    years_summed.reached_customer_count as summed_customers_reaching
from all_cohorts
left join years_summed
    on all_cohorts.step = years_summed.step
where
    years_summed.step is null
    or all_cohorts.reached_customer_count <> years_summed.reached_customer_count
    or coalesce(all_cohorts.dropped_customer_count, -1)
    <> coalesce(years_summed.dropped_customer_count, -1)

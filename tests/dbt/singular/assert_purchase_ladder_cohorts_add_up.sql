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
        sum(customers_reaching) as customers_reaching,
        sum(customers_dropped) as customers_dropped
    from mart_purchase_ladder
    where cohort <> 'all'
    group by 1

),

all_cohorts as (

    select
        step,
        customers_reaching,
        customers_dropped
    from mart_purchase_ladder
    where cohort = 'all'

)

select
    all_cohorts.step,
    all_cohorts.customers_reaching,
    years_summed.customers_reaching as summed_customers_reaching
from all_cohorts
left join years_summed
    on all_cohorts.step = years_summed.step
where
    years_summed.step is null
    or all_cohorts.customers_reaching <> years_summed.customers_reaching
    or coalesce(all_cohorts.customers_dropped, -1)
    <> coalesce(years_summed.customers_dropped, -1)

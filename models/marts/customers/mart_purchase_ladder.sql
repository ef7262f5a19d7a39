{%- set top_step = var('purchase_ladder_top_step') -%}
{%- set gaps = [0.25, 0.5, 0.75, 0.9] -%}

with

fct_customer_orders as (

    select * from {{ ref('fct_customer_orders') }}

),

-- Steps 1..{{ top_step - 1 }} are exact order numbers; step {{ top_step }}
-- stands for {{ top_step }}+ (reaching that order), and its gaps are those
-- of every order from then on.
orders_stepped as (

    select
        customer_id,
        days_since_previous_order,
        case
            when order_number >= {{ top_step }} then {{ top_step }}
            else order_number
        end as step,
        cast(
            cast(extract(year from cohort_month) as integer)
            as {{ dbt.type_string() }}
        ) as cohort
    from fct_customer_orders

),

-- Every order counts twice: in its cohort year and in 'all'.
orders_by_cohort as (

    select
        cohort,
        step,
        customer_id,
        days_since_previous_order
    from orders_stepped
    union all
    select
        'all' as cohort,
        step,
        customer_id,
        days_since_previous_order
    from orders_stepped

),

steps as (

    select
        cohort,
        step,
        count(distinct customer_id) as reached_customer_count,
        {{ percentile_cont('days_since_previous_order', 0.25, gaps) }}
            as p25_days_since_previous,
        {{ percentile_cont('days_since_previous_order', 0.5, gaps) }}
            as median_days_since_previous,
        {{ percentile_cont('days_since_previous_order', 0.75, gaps) }}
            as p75_days_since_previous,
        {{ percentile_cont('days_since_previous_order', 0.9, gaps) }}
            as p90_days_since_previous,
        {{ divide_rounded(
            'sum(days_since_previous_order)', 'count(days_since_previous_order)'
        ) }} as mean_days_since_previous
    from orders_by_cohort
    group by 1, 2

),

-- Every cohort gets every step, so a step nobody of a cohort reached shows
-- as 0 customers instead of a missing row.
step_numbers as (

    {% for step in range(1, top_step + 1) -%}
    select {{ step }} as step
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

),

cohort_steps as (

    select
        cohorts.cohort,
        step_numbers.step
    from (select distinct cohort from steps) as cohorts
    cross join step_numbers

),

steps_completed as (

    select
        cohort_steps.cohort,
        cohort_steps.step,
        coalesce(steps.reached_customer_count, 0) as reached_customer_count,
        steps.p25_days_since_previous,
        steps.median_days_since_previous,
        steps.p75_days_since_previous,
        steps.p90_days_since_previous,
        steps.mean_days_since_previous
    from cohort_steps
    left join steps
        on
            cohort_steps.cohort = steps.cohort
            and cohort_steps.step = steps.step

),

steps_compared as (

    select
        steps_completed.*,
        first_step.reached_customer_count as first_step_customers,
        previous_step.reached_customer_count as previous_step_customers
    from steps_completed
    inner join steps_completed as first_step
        on
            steps_completed.cohort = first_step.cohort
            and first_step.step = 1
    left join steps_completed as previous_step
        on
            steps_completed.cohort = previous_step.cohort
            and steps_completed.step = previous_step.step + 1

),

final as (

    select
        cast(cohort as {{ dbt.type_string() }}) as cohort,
        cast(step as integer) as step,
        cast(
            case
                when step = {{ top_step }} then '{{ top_step }}+'
                else cast(step as {{ dbt.type_string() }})
            end as {{ dbt.type_string() }}
        ) as step_label,
        cast(reached_customer_count as integer) as reached_customer_count,
        {{ divide_rounded(
            'reached_customer_count', 'first_step_customers', 4, 9
        ) }} as customer_share,
        {{ divide_rounded(
            'reached_customer_count', 'previous_step_customers', 4, 9
        ) }} as conversion_rate,
        cast(
            previous_step_customers - reached_customer_count as integer
        ) as dropped_customer_count,
        {{ divide_rounded(
            'previous_step_customers - reached_customer_count',
            'previous_step_customers',
            4,
            9
        ) }} as drop_off_rate,
        cast(p25_days_since_previous as numeric(18, 2))
            as p25_days_since_previous,
        cast(median_days_since_previous as numeric(18, 2))
            as median_days_since_previous,
        cast(p75_days_since_previous as numeric(18, 2))
            as p75_days_since_previous,
        cast(p90_days_since_previous as numeric(18, 2))
            as p90_days_since_previous,
        mean_days_since_previous
    from steps_compared

)

select * from final

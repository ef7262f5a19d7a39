with

fct_customer_orders as (

    select * from {{ ref('fct_customer_orders') }}

),

-- Steps 1..4 are exact order numbers; step 5 stands for 5+ (reaching the
-- fifth order), and its gaps are those of every order from the fifth on.
orders_stepped as (

    select
        customer_id,
        days_since_previous_order,
        case when order_number >= 5 then 5 else order_number end as step
    from fct_customer_orders

),

steps as (

    select
        step,
        count(distinct customer_id) as customers_reaching,
        {{ percentile_cont('days_since_previous_order', 0.25) }}
            as p25_days_since_previous,
        {{ percentile_cont('days_since_previous_order', 0.5) }}
            as median_days_since_previous,
        {{ percentile_cont('days_since_previous_order', 0.75) }}
            as p75_days_since_previous,
        {{ divide_rounded(
            'sum(days_since_previous_order)', 'count(days_since_previous_order)'
        ) }} as mean_days_since_previous
    from orders_stepped
    group by 1

),

steps_compared as (

    select
        steps.*,
        first_step.customers_reaching as first_step_customers,
        previous_step.customers_reaching as previous_step_customers
    from steps
    cross join steps as first_step
    left join steps as previous_step
        on steps.step = previous_step.step + 1
    where first_step.step = 1

),

final as (

    select
        cast(step as integer) as step,
        cast(
            case
                when step = 5 then '5+'
                else cast(step as {{ dbt.type_string() }})
            end as {{ dbt.type_string() }}
        ) as step_label,
        cast(customers_reaching as integer) as customers_reaching,
        {{ divide_rounded(
            'customers_reaching', 'first_step_customers', 4, 9
        ) }} as share_of_customers,
        {{ divide_rounded(
            'customers_reaching', 'previous_step_customers', 4, 9
        ) }} as conversion_from_previous_step,
        {{ divide_rounded(
            'previous_step_customers - customers_reaching',
            'previous_step_customers',
            4,
            9
        ) }} as drop_off_from_previous_step,
        cast(p25_days_since_previous as numeric(18, 2))
            as p25_days_since_previous,
        cast(median_days_since_previous as numeric(18, 2))
            as median_days_since_previous,
        cast(p75_days_since_previous as numeric(18, 2))
            as p75_days_since_previous,
        mean_days_since_previous
    from steps_compared

)

select * from final

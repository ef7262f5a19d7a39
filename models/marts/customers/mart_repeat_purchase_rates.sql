with

dim_customers as (

    select * from {{ ref('dim_customers') }}

),

customers as (

    select
        customer_id,
        country_code,
        cast(
            {{ dbt.date_trunc('month', 'first_purchase_date') }} as date
        ) as cohort_month,
        case when order_count >= 2 then 1 else 0 end as is_repeat
    from dim_customers
    where has_purchase

),

overall as (

    select
        'overall' as breakdown,
        'all customers' as breakdown_value,
        count(*) as customers,
        sum(is_repeat) as repeat_customers
    from customers

),

by_cohort as (

    select
        'cohort' as breakdown,
        {{ year_month_label('cohort_month') }} as breakdown_value,
        count(*) as customers,
        sum(is_repeat) as repeat_customers
    from customers
    group by 1, 2

),

by_country as (

    select
        'country' as breakdown,
        country_code as breakdown_value,
        count(*) as customers,
        sum(is_repeat) as repeat_customers
    from customers
    group by 1, 2

),

breakdowns as (

    select * from overall
    union all
    select * from by_cohort
    union all
    select * from by_country

),

final as (

    select
        cast(breakdown as {{ dbt.type_string() }}) as breakdown,
        cast(breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
        cast(customers as integer) as customers,
        cast(repeat_customers as integer) as repeat_customers,
        {{ divide_rounded('repeat_customers', 'customers', 4, 9) }}
            as repeat_rate
    from breakdowns

)

select * from final

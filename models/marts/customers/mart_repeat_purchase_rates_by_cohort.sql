with

dim_customers as (

    select * from {{ ref('dim_customers') }}

),

customers_with_cohort as (

    select
        cast(
            {{ dbt.date_trunc('month', 'first_purchase_date') }} as date
        ) as cohort_month,
        order_count
    from dim_customers
    where has_purchase

),

final as (

    select
        cohort_month,
        cast(
            {{ year_month_label('cohort_month') }} as {{ dbt.type_string() }}
        ) as cohort,
        {{ repeat_purchase_measures() }}
    from customers_with_cohort
    group by 1, 2

)

select * from final

{#-
    One row per employee who took orders, for sources that have them
    (using_employees; TPC-H: the order clerks). Online Retail II has none,
    so this model and the employee marts are disabled there.
-#}
with

stg_tpch__orders as (

    select * from {{ ref('stg_tpch__orders') }}

),

employees_mapped as (

    select
        clerk_id as employee_id,
        clerk_id as employee_name,
        count(*) as order_count
    from stg_tpch__orders
    group by 1, 2

),

final as (

    select
        cast(employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(employee_name as {{ dbt.type_string() }}) as employee_name,
        cast(order_count as integer) as order_count
    from employees_mapped

)

select * from final



with

validation as (

    select cancelled_amount as value_checked
    from "retail_warehouse"."marts"."dim_customers"
    where cancelled_amount is not null
        and (
            1 = 0
            or cancelled_amount < 0
        )

)

select * from validation


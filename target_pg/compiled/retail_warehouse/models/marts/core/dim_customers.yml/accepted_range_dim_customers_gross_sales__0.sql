

with

validation as (

    select gross_sales as value_checked
    from "retail_warehouse"."marts"."dim_customers"
    where gross_sales is not null
        and (
            1 = 0
            or gross_sales < 0
        )

)

select * from validation


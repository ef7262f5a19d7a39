

with

validation as (

    select *
    from "retail_warehouse"."marts"."dim_customers"
    where not coalesce( net_revenue = gross_sales - cancelled_amount,
        false
    )

)

select * from validation


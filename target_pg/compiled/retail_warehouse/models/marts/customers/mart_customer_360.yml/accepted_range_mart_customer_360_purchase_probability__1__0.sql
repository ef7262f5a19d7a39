

with

validation as (

    select purchase_probability as value_checked
    from "retail_warehouse"."marts"."mart_customer_360"
    where purchase_probability is not null
        and (
            1 = 0
            or purchase_probability < 0
            or purchase_probability > 1
        )

)

select * from validation


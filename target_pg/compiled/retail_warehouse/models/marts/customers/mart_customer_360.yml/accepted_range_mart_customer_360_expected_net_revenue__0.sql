

with

validation as (

    select expected_net_revenue as value_checked
    from "retail_warehouse"."marts"."mart_customer_360"
    where expected_net_revenue is not null
        and (
            1 = 0
            or expected_net_revenue < 0
        )

)

select * from validation


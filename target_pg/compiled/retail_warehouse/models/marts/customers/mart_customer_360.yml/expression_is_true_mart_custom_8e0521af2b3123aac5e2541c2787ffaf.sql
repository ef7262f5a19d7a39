

with

validation as (

    select *
    from "retail_warehouse"."marts"."mart_customer_360"
    where not coalesce( is_loyalty_member or (loyalty_tier is null and points_balance is null),
        false
    )

)

select * from validation




with

validation as (

    select *
    from (select * from "retail_warehouse"."marts"."dim_customers" where has_purchase) dbt_subquery
    where not coalesce( first_purchase_at <= last_purchase_at,
        false
    )

)

select * from validation


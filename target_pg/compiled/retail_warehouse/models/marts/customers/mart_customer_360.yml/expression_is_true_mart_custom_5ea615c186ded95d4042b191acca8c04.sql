

with

validation as (

    select *
    from "retail_warehouse"."marts"."mart_customer_360"
    where not coalesce( (cluster_id is null) = (cluster_not_scored_reason is not null),
        false
    )

)

select * from validation




with

validation as (

    select *
    from "retail_warehouse"."marts"."mart_customer_360"
    where not coalesce( (rfm_segment is null) = (rfm_not_scored_reason is not null),
        false
    )

)

select * from validation



    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

with

validation as (

    select *
    from "retail_warehouse"."marts"."mart_customer_360"
    where not coalesce( (purchase_probability is null) = (prediction_not_scored_reason is not null),
        false
    )

)

select * from validation


  
  
      
    ) dbt_internal_test
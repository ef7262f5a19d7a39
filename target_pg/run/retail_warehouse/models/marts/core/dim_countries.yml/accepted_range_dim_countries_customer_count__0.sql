
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

with

validation as (

    select customer_count as value_checked
    from "retail_warehouse"."marts"."dim_countries"
    where customer_count is not null
        and (
            1 = 0
            or customer_count < 0
        )

)

select * from validation


  
  
      
    ) dbt_internal_test
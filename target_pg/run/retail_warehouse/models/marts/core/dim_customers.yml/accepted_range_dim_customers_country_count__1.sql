
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

with

validation as (

    select country_count as value_checked
    from "retail_warehouse"."marts"."dim_customers"
    where country_count is not null
        and (
            1 = 0
            or country_count < 1
        )

)

select * from validation


  
  
      
    ) dbt_internal_test
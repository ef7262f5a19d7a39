
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

with

validation as (

    select r_score as value_checked
    from "retail_warehouse"."marts"."mart_customer_360"
    where r_score is not null
        and (
            1 = 0
            or r_score < 1
            or r_score > 5
        )

)

select * from validation


  
  
      
    ) dbt_internal_test

    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

with

validation as (

    select order_count as value_checked
    from "retail_warehouse"."marts"."mart_customer_360"
    where order_count is not null
        and (
            1 = 0
            or order_count < 0
        )

)

select * from validation


  
  
      
    ) dbt_internal_test
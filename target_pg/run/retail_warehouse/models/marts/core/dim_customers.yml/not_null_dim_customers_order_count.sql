
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select order_count
from "retail_warehouse"."marts"."dim_customers"
where order_count is null



  
  
      
    ) dbt_internal_test
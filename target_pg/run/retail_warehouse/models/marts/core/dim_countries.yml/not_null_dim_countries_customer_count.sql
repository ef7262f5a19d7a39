
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select customer_count
from "retail_warehouse"."marts"."dim_countries"
where customer_count is null



  
  
      
    ) dbt_internal_test

    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select units
from "retail_warehouse"."marts"."dim_customers"
where units is null



  
  
      
    ) dbt_internal_test
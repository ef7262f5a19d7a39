
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select region
from "retail_warehouse"."marts"."dim_countries"
where region is null



  
  
      
    ) dbt_internal_test
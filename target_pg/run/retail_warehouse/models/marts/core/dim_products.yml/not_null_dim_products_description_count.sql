
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select description_count
from "retail_warehouse"."marts"."dim_products"
where description_count is null



  
  
      
    ) dbt_internal_test

    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select revenue_group
from "retail_warehouse"."marts"."dim_products"
where revenue_group is null



  
  
      
    ) dbt_internal_test
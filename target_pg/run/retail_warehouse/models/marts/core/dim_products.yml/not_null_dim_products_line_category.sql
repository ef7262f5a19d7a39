
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select line_category
from "retail_warehouse"."marts"."dim_products"
where line_category is null



  
  
      
    ) dbt_internal_test
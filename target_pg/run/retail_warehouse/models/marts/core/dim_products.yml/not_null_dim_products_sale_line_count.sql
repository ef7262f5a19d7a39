
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select sale_line_count
from "retail_warehouse"."marts"."dim_products"
where sale_line_count is null



  
  
      
    ) dbt_internal_test

    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select is_product
from "retail_warehouse"."marts"."dim_products"
where is_product is null



  
  
      
    ) dbt_internal_test
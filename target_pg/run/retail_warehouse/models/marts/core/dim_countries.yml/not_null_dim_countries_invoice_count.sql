
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select invoice_count
from "retail_warehouse"."marts"."dim_countries"
where invoice_count is null



  
  
      
    ) dbt_internal_test

    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select has_purchase
from "retail_warehouse"."marts"."dim_customers"
where has_purchase is null



  
  
      
    ) dbt_internal_test
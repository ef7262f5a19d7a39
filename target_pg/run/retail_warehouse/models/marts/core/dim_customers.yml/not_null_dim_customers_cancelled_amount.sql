
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select cancelled_amount
from "retail_warehouse"."marts"."dim_customers"
where cancelled_amount is null



  
  
      
    ) dbt_internal_test
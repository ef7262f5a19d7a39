
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select is_loyalty_member
from "retail_warehouse"."marts"."mart_customer_360"
where is_loyalty_member is null



  
  
      
    ) dbt_internal_test
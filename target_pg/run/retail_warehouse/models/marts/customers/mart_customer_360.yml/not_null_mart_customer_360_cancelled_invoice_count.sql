
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select cancelled_invoice_count
from "retail_warehouse"."marts"."mart_customer_360"
where cancelled_invoice_count is null



  
  
      
    ) dbt_internal_test
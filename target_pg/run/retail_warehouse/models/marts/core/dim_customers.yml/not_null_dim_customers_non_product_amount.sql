
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select non_product_amount
from "retail_warehouse"."marts"."dim_customers"
where non_product_amount is null



  
  
      
    ) dbt_internal_test
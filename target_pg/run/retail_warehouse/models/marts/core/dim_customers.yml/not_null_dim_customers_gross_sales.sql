
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select gross_sales
from "retail_warehouse"."marts"."dim_customers"
where gross_sales is null



  
  
      
    ) dbt_internal_test
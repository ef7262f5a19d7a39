
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select is_complete_month
from "retail_warehouse"."marts"."dim_dates"
where is_complete_month is null



  
  
      
    ) dbt_internal_test
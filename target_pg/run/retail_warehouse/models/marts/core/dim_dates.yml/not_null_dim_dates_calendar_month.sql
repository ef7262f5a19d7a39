
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select calendar_month
from "retail_warehouse"."marts"."dim_dates"
where calendar_month is null



  
  
      
    ) dbt_internal_test
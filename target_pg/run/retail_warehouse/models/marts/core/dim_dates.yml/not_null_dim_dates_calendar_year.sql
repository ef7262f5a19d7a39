
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select calendar_year
from "retail_warehouse"."marts"."dim_dates"
where calendar_year is null



  
  
      
    ) dbt_internal_test
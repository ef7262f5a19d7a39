
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select is_in_data_range
from "retail_warehouse"."marts"."dim_dates"
where is_in_data_range is null



  
  
      
    ) dbt_internal_test

    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select source_country_name
from "retail_warehouse"."marts"."dim_countries"
where source_country_name is null



  
  
      
    ) dbt_internal_test
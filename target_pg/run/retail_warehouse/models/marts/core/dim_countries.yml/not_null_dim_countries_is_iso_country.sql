
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select is_iso_country
from "retail_warehouse"."marts"."dim_countries"
where is_iso_country is null



  
  
      
    ) dbt_internal_test
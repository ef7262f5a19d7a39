
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    source_country_name as unique_field,
    count(*) as n_records

from "retail_warehouse"."marts"."dim_countries"
where source_country_name is not null
group by source_country_name
having count(*) > 1



  
  
      
    ) dbt_internal_test
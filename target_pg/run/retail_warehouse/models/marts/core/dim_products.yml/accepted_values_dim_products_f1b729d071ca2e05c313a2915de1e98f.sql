
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        revenue_group as value_field,
        count(*) as n_records

    from "retail_warehouse"."marts"."dim_products"
    group by revenue_group

)

select *
from all_values
where value_field not in (
    'product','shipping','fee','adjustment','other'
)



  
  
      
    ) dbt_internal_test

    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with child as (
    select country_code as from_field
    from "retail_warehouse"."marts"."mart_repeat_purchase_rates_by_country"
    where country_code is not null
),

parent as (
    select country_code as to_field
    from "retail_warehouse"."marts"."dim_countries"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null



  
  
      
    ) dbt_internal_test
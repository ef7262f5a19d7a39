
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

with

validation as (

    select iso_day_of_week as value_checked
    from "retail_warehouse"."marts"."dim_dates"
    where iso_day_of_week is not null
        and (
            1 = 0
            or iso_day_of_week < 1
            or iso_day_of_week > 7
        )

)

select * from validation


  
  
      
    ) dbt_internal_test
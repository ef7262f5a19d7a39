
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

with

validation as (

    select calendar_quarter as value_checked
    from "retail_warehouse"."marts"."dim_dates"
    where calendar_quarter is not null
        and (
            1 = 0
            or calendar_quarter < 1
            or calendar_quarter > 4
        )

)

select * from validation


  
  
      
    ) dbt_internal_test

    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

with

validation as (

    select gross_sales as value_checked
    from "retail_warehouse"."marts"."dim_customers"
    where gross_sales is not null
        and (
            1 = 0
            or gross_sales < 0
        )

)

select * from validation


  
  
      
    ) dbt_internal_test
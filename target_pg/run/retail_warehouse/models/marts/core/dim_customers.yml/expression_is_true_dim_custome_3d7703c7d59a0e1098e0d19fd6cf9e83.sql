
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

with

validation as (

    select *
    from "retail_warehouse"."marts"."dim_customers"
    where not coalesce( net_revenue = gross_sales - cancelled_amount,
        false
    )

)

select * from validation


  
  
      
    ) dbt_internal_test
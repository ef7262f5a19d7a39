
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

with

row_count as (

    select count(*) as rows_found
    from "retail_warehouse"."marts"."dim_products"

)

select * from row_count where rows_found = 0


  
  
      
    ) dbt_internal_test
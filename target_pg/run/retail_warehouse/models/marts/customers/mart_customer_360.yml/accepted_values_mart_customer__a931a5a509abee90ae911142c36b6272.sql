
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        cluster_not_scored_reason as value_field,
        count(*) as n_records

    from "retail_warehouse"."marts"."mart_customer_360"
    group by cluster_not_scored_reason

)

select *
from all_values
where value_field not in (
    'not in ml_customer_clusters'
)



  
  
      
    ) dbt_internal_test
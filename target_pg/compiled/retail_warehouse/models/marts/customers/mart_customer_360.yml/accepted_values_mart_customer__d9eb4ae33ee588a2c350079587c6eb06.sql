
    
    

with all_values as (

    select
        prediction_not_scored_reason as value_field,
        count(*) as n_records

    from "retail_warehouse"."marts"."mart_customer_360"
    group by prediction_not_scored_reason

)

select *
from all_values
where value_field not in (
    'no purchase invoice','no purchase in the active window before the as-of date'
)



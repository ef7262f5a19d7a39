
    
    



select country_count
from "retail_warehouse"."marts"."dim_customers"
where country_count is null



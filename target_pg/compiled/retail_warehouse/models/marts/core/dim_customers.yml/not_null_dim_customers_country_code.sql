
    
    



select country_code
from "retail_warehouse"."marts"."dim_customers"
where country_code is null



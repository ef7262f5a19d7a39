
    
    



select customer_count
from "retail_warehouse"."marts"."dim_countries"
where customer_count is null




    
    



select customer_id
from "retail_warehouse"."marts"."dim_customers"
where customer_id is null



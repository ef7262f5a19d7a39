
    
    



select customer_id
from "retail_warehouse"."marts"."mart_customer_360"
where customer_id is null



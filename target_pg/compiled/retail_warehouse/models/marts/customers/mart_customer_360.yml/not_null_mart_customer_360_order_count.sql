
    
    



select order_count
from "retail_warehouse"."marts"."mart_customer_360"
where order_count is null



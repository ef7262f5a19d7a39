
    
    



select order_count
from "retail_warehouse"."marts"."dim_customers"
where order_count is null




    
    



select cancelled_amount
from "retail_warehouse"."marts"."dim_customers"
where cancelled_amount is null



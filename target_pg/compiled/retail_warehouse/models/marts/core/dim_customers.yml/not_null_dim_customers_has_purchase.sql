
    
    



select has_purchase
from "retail_warehouse"."marts"."dim_customers"
where has_purchase is null



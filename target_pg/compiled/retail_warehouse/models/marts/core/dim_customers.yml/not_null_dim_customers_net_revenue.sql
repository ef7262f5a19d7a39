
    
    



select net_revenue
from "retail_warehouse"."marts"."dim_customers"
where net_revenue is null



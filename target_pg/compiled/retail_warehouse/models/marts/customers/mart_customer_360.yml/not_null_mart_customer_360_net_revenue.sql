
    
    



select net_revenue
from "retail_warehouse"."marts"."mart_customer_360"
where net_revenue is null




    
    



select region
from "retail_warehouse"."marts"."mart_customer_360"
where region is null




    
    



select is_loyalty_member
from "retail_warehouse"."marts"."mart_customer_360"
where is_loyalty_member is null



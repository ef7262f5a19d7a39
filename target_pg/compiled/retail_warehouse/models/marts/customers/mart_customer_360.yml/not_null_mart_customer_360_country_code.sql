
    
    



select country_code
from "retail_warehouse"."marts"."mart_customer_360"
where country_code is null



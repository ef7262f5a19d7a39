
    
    



select country_name
from "retail_warehouse"."marts"."mart_customer_360"
where country_name is null



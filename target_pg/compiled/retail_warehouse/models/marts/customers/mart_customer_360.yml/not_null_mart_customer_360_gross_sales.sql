
    
    



select gross_sales
from "retail_warehouse"."marts"."mart_customer_360"
where gross_sales is null



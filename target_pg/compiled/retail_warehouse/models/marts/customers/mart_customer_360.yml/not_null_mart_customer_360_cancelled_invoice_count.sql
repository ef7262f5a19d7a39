
    
    



select cancelled_invoice_count
from "retail_warehouse"."marts"."mart_customer_360"
where cancelled_invoice_count is null




    
    



select cancelled_invoice_count
from "retail_warehouse"."marts"."dim_customers"
where cancelled_invoice_count is null



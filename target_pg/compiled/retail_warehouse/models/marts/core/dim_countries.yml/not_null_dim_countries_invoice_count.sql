
    
    



select invoice_count
from "retail_warehouse"."marts"."dim_countries"
where invoice_count is null



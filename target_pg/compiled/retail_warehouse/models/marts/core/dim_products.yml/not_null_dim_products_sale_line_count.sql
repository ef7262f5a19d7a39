
    
    



select sale_line_count
from "retail_warehouse"."marts"."dim_products"
where sale_line_count is null



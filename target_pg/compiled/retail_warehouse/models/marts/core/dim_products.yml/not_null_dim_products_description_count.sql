
    
    



select description_count
from "retail_warehouse"."marts"."dim_products"
where description_count is null



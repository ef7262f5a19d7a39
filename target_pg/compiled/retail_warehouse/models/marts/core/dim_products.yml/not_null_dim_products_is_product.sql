
    
    



select is_product
from "retail_warehouse"."marts"."dim_products"
where is_product is null



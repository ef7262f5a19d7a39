
    
    



select product_id
from "retail_warehouse"."marts"."dim_products"
where product_id is null



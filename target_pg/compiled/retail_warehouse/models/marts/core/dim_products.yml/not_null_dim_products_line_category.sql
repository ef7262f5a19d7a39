
    
    



select line_category
from "retail_warehouse"."marts"."dim_products"
where line_category is null



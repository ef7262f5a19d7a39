
    
    



select revenue_group
from "retail_warehouse"."marts"."dim_products"
where revenue_group is null




    
    



select non_product_amount
from "retail_warehouse"."marts"."dim_customers"
where non_product_amount is null




    
    



select units
from "retail_warehouse"."marts"."dim_customers"
where units is null



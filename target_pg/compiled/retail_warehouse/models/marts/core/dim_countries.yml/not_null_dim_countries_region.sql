
    
    



select region
from "retail_warehouse"."marts"."dim_countries"
where region is null



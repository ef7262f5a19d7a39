
    
    



select country_code
from "retail_warehouse"."marts"."dim_countries"
where country_code is null




    
    



select country_name
from "retail_warehouse"."marts"."dim_countries"
where country_name is null




    
    



select is_home_country
from "retail_warehouse"."marts"."dim_countries"
where is_home_country is null




    
    



select is_iso_country
from "retail_warehouse"."marts"."dim_countries"
where is_iso_country is null



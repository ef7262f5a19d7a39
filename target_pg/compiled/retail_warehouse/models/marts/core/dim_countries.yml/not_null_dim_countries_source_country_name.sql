
    
    



select source_country_name
from "retail_warehouse"."marts"."dim_countries"
where source_country_name is null




    
    



select day_name
from "retail_warehouse"."marts"."dim_dates"
where day_name is null



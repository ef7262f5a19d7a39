
    
    



select date_day
from "retail_warehouse"."marts"."dim_dates"
where date_day is null



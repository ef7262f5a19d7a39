
    
    



select calendar_year
from "retail_warehouse"."marts"."dim_dates"
where calendar_year is null



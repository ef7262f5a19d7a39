
    
    



select calendar_month
from "retail_warehouse"."marts"."dim_dates"
where calendar_month is null



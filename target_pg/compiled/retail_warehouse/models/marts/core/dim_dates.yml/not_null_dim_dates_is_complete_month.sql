
    
    



select is_complete_month
from "retail_warehouse"."marts"."dim_dates"
where is_complete_month is null



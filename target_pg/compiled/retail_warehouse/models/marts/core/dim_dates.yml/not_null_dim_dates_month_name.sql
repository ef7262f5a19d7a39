
    
    



select month_name
from "retail_warehouse"."marts"."dim_dates"
where month_name is null



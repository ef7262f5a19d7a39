
    
    



select is_in_data_range
from "retail_warehouse"."marts"."dim_dates"
where is_in_data_range is null



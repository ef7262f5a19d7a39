
    
    



select gross_sales
from "retail_warehouse"."marts"."dim_customers"
where gross_sales is null



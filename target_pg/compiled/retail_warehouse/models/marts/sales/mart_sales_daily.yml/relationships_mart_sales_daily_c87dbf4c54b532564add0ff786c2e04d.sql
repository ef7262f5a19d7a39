
    
    

with child as (
    select date_day as from_field
    from "retail_warehouse"."marts"."mart_sales_daily"
    where date_day is not null
),

parent as (
    select date_day as to_field
    from "retail_warehouse"."marts"."dim_dates"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null



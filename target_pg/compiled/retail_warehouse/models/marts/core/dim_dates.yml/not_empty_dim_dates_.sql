

with

row_count as (

    select count(*) as rows_found
    from "retail_warehouse"."marts"."dim_dates"

)

select * from row_count where rows_found = 0


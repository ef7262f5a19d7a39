

with

validation as (

    select month_of_year as value_checked
    from "retail_warehouse"."marts"."dim_dates"
    where month_of_year is not null
        and (
            1 = 0
            or month_of_year < 1
            or month_of_year > 12
        )

)

select * from validation


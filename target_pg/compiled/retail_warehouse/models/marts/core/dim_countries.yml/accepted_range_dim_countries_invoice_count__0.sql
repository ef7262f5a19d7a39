

with

validation as (

    select invoice_count as value_checked
    from "retail_warehouse"."marts"."dim_countries"
    where invoice_count is not null
        and (
            1 = 0
            or invoice_count < 0
        )

)

select * from validation


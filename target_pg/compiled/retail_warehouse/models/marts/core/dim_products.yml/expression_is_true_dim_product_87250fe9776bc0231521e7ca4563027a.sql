

with

validation as (

    select *
    from (select * from "retail_warehouse"."marts"."dim_products" where sale_line_count > 0) dbt_subquery
    where not coalesce( min_unit_price <= median_unit_price and median_unit_price <= max_unit_price,
        false
    )

)

select * from validation


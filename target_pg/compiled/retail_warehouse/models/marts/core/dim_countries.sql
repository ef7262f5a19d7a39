with

country_codes as (

    select * from "retail_warehouse"."raw"."country_codes"

),

fct_invoices as (

    select * from "retail_warehouse"."marts"."fct_invoices"

),

countries_aggregated as (

    select
        country_code,
        count(*) as invoice_count,
        count(distinct customer_id) as customer_count,
        min(invoiced_at) as first_invoiced_at,
        max(invoiced_at) as last_invoiced_at
    from fct_invoices
    group by 1

),

final as (

    select
        country_codes.country_code,
        country_codes.country_name,
        country_codes.country as source_country_name,
        country_codes.region,
        cast(coalesce(countries_aggregated.invoice_count, 0) as integer)
            as invoice_count,
        cast(coalesce(countries_aggregated.customer_count, 0) as integer)
            as customer_count,
        country_codes.is_iso_country,
        country_codes.country_code = 'GB'
            as is_home_country,
        countries_aggregated.first_invoiced_at,
        countries_aggregated.last_invoiced_at
    from country_codes
    left join countries_aggregated
        on country_codes.country_code = countries_aggregated.country_code

)

select * from final
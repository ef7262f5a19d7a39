with

int_locations_standardized as (

    select * from {{ ref('int_locations_standardized') }}

),

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

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
        int_locations_standardized.country_code,
        int_locations_standardized.country_name,
        int_locations_standardized.source_country_name,
        int_locations_standardized.region,
        cast(coalesce(countries_aggregated.invoice_count, 0) as integer)
            as invoice_count,
        cast(coalesce(countries_aggregated.customer_count, 0) as integer)
            as customer_count,
        int_locations_standardized.is_iso_country,
        int_locations_standardized.country_code
        = '{{ var("home_country_code") }}'
            as is_home_country,
        countries_aggregated.first_invoiced_at,
        countries_aggregated.last_invoiced_at
    from int_locations_standardized
    left join countries_aggregated
        on
            int_locations_standardized.country_code
            = countries_aggregated.country_code

)

select * from final

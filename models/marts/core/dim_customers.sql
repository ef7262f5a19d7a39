{{ config(**incremental_by_grain('customer_id')) }}

with

fct_invoices as {{ not_materialized() }} (

    select * from {{ ref('fct_invoices') }}

),

int_locations_standardized as (

    select * from {{ ref('int_locations_standardized') }}

),

-- An incremental run recomputes the customers with an invoice of a new
-- load, from all their invoices.
customer_invoices as {{ not_materialized() }} (

    select *
    from fct_invoices
    where
        customer_id is not null
        and {{ in_affected_keys('customer_id', 'fct_invoices', 'customer_id') }}

),

-- Main country: where the customer placed most invoices; ties go to the
-- country of the later invoice, then to the lower country code.
country_invoices as (

    select
        customer_id,
        country_code,
        count(*) as invoice_count,
        max(invoiced_at) as last_invoiced_at
    from customer_invoices
    group by 1, 2

),

countries_ranked as (

    select
        customer_id,
        country_code,
        row_number() over (
            partition by customer_id
            order by invoice_count desc, last_invoiced_at desc, country_code asc
        ) as country_rank,
        count(*) over (partition by customer_id) as country_count
    from country_invoices

),

main_countries as (

    select
        customer_id,
        country_code,
        country_count
    from countries_ranked
    where country_rank = 1

),

customers_aggregated as (

    select
        customer_id,
        min(case when is_purchase then invoiced_at end) as first_purchase_at,
        max(case when is_purchase then invoiced_at end) as last_purchase_at,
        sum(case when is_purchase then 1 else 0 end) as order_count,
        sum(
            case when invoice_kind = 'cancellation' then 1 else 0 end
        ) as cancelled_invoice_count,
        sum(
            case when invoice_kind = 'sale' then product_amount else 0 end
        ) as gross_sales,
        sum(
            case
                when invoice_kind = 'cancellation' then -product_amount else 0
            end
        ) as cancelled_amount,
        sum(product_amount) as net_revenue,
        sum(total_amount - product_amount) as non_product_amount,
        sum(case when invoice_kind = 'sale' then units else 0 end) as units,
        max(last_load_id) as last_load_id
    from customer_invoices
    group by 1

),

final as (

    select
        customers_aggregated.customer_id,
        main_countries.country_code,
        cast(int_locations_standardized.country_name as {{ text_type() }})
            as country_name,
        cast(main_countries.country_count as integer) as country_count,
        cast(customers_aggregated.order_count as integer) as order_count,
        cast(customers_aggregated.cancelled_invoice_count as integer)
            as cancelled_invoice_count,
        cast(customers_aggregated.units as bigint) as units,
        cast(customers_aggregated.gross_sales as numeric(18, 2))
            as gross_sales,
        cast(customers_aggregated.cancelled_amount as numeric(18, 2))
            as cancelled_amount,
        cast(customers_aggregated.net_revenue as numeric(18, 2))
            as net_revenue,
        cast(customers_aggregated.non_product_amount as numeric(18, 2))
            as non_product_amount,
        customers_aggregated.order_count > 0 as has_purchase,
        customers_aggregated.first_purchase_at,
        customers_aggregated.last_purchase_at,
        cast(customers_aggregated.first_purchase_at as date)
            as first_purchase_date,
        cast(customers_aggregated.last_purchase_at as date)
            as last_purchase_date,
        cast(customers_aggregated.last_load_id as integer) as last_load_id
    from customers_aggregated
    inner join main_countries
        on customers_aggregated.customer_id = main_countries.customer_id
    left join int_locations_standardized
        on main_countries.country_code = int_locations_standardized.country_code

)

select * from final

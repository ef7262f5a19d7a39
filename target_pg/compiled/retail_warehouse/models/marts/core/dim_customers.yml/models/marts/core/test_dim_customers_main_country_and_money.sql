with

 __dbt__cte__fct_invoices as (

-- Fixture for fct_invoices
select 
    
    cast('1' as character varying)
 as "invoice_id", 
    
    cast(1 as integer)
 as "customer_id", 
    
    cast('GB' as character varying)
 as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", cast(null as integer) as "line_count", cast(null as integer) as "product_line_count", 
    
    cast(10 as bigint)
 as "units", 
    
    cast(100.0 as numeric(18,3))
 as "product_amount", cast(null as numeric(18,3)) as "shipping_amount", cast(null as numeric(18,3)) as "fee_amount", cast(null as numeric(18,3)) as "adjustment_amount", cast(null as numeric(18,3)) as "other_amount", 
    
    cast(110.0 as numeric(18,3))
 as "total_amount", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast(True as boolean)
 as "is_purchase", 
    
    cast('2010-01-01 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", cast(null as integer) as "last_load_id"
union all
select 
    
    cast('2' as character varying)
 as "invoice_id", 
    
    cast(1 as integer)
 as "customer_id", 
    
    cast('FR' as character varying)
 as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", cast(null as integer) as "line_count", cast(null as integer) as "product_line_count", 
    
    cast(5 as bigint)
 as "units", 
    
    cast(50.0 as numeric(18,3))
 as "product_amount", cast(null as numeric(18,3)) as "shipping_amount", cast(null as numeric(18,3)) as "fee_amount", cast(null as numeric(18,3)) as "adjustment_amount", cast(null as numeric(18,3)) as "other_amount", 
    
    cast(50.0 as numeric(18,3))
 as "total_amount", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast(True as boolean)
 as "is_purchase", 
    
    cast('2010-02-01 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", cast(null as integer) as "last_load_id"
union all
select 
    
    cast('C3' as character varying)
 as "invoice_id", 
    
    cast(1 as integer)
 as "customer_id", 
    
    cast('FR' as character varying)
 as "country_code", 
    
    cast('cancellation' as character varying)
 as "invoice_kind", cast(null as integer) as "line_count", cast(null as integer) as "product_line_count", 
    
    cast(-2 as bigint)
 as "units", 
    
    cast(-20.0 as numeric(18,3))
 as "product_amount", cast(null as numeric(18,3)) as "shipping_amount", cast(null as numeric(18,3)) as "fee_amount", cast(null as numeric(18,3)) as "adjustment_amount", cast(null as numeric(18,3)) as "other_amount", 
    
    cast(-20.0 as numeric(18,3))
 as "total_amount", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast(False as boolean)
 as "is_purchase", 
    
    cast('2010-02-02 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", cast(null as integer) as "last_load_id"
union all
select 
    
    cast('4' as character varying)
 as "invoice_id", 
    
    cast(1 as integer)
 as "customer_id", 
    
    cast('GB' as character varying)
 as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", cast(null as integer) as "line_count", cast(null as integer) as "product_line_count", 
    
    cast(0 as bigint)
 as "units", 
    
    cast(0.0 as numeric(18,3))
 as "product_amount", cast(null as numeric(18,3)) as "shipping_amount", cast(null as numeric(18,3)) as "fee_amount", cast(null as numeric(18,3)) as "adjustment_amount", cast(null as numeric(18,3)) as "other_amount", 
    
    cast(15.0 as numeric(18,3))
 as "total_amount", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast(False as boolean)
 as "is_purchase", 
    
    cast('2010-03-01 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", cast(null as integer) as "last_load_id"
union all
select 
    
    cast('C5' as character varying)
 as "invoice_id", 
    
    cast(2 as integer)
 as "customer_id", 
    
    cast('DE' as character varying)
 as "country_code", 
    
    cast('cancellation' as character varying)
 as "invoice_kind", cast(null as integer) as "line_count", cast(null as integer) as "product_line_count", 
    
    cast(-1 as bigint)
 as "units", 
    
    cast(-7.5 as numeric(18,3))
 as "product_amount", cast(null as numeric(18,3)) as "shipping_amount", cast(null as numeric(18,3)) as "fee_amount", cast(null as numeric(18,3)) as "adjustment_amount", cast(null as numeric(18,3)) as "other_amount", 
    
    cast(-7.5 as numeric(18,3))
 as "total_amount", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast(False as boolean)
 as "is_purchase", 
    
    cast('2010-03-01 11:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", cast(null as integer) as "last_load_id"
union all
select 
    
    cast('6' as character varying)
 as "invoice_id", 
    
    cast(3 as integer)
 as "customer_id", 
    
    cast('DE' as character varying)
 as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", cast(null as integer) as "line_count", cast(null as integer) as "product_line_count", 
    
    cast(1 as bigint)
 as "units", 
    
    cast(10.0 as numeric(18,3))
 as "product_amount", cast(null as numeric(18,3)) as "shipping_amount", cast(null as numeric(18,3)) as "fee_amount", cast(null as numeric(18,3)) as "adjustment_amount", cast(null as numeric(18,3)) as "other_amount", 
    
    cast(10.0 as numeric(18,3))
 as "total_amount", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast(True as boolean)
 as "is_purchase", 
    
    cast('2010-03-01 12:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", cast(null as integer) as "last_load_id"
union all
select 
    
    cast('7' as character varying)
 as "invoice_id", 
    
    cast(3 as integer)
 as "customer_id", 
    
    cast('AT' as character varying)
 as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", cast(null as integer) as "line_count", cast(null as integer) as "product_line_count", 
    
    cast(1 as bigint)
 as "units", 
    
    cast(10.0 as numeric(18,3))
 as "product_amount", cast(null as numeric(18,3)) as "shipping_amount", cast(null as numeric(18,3)) as "fee_amount", cast(null as numeric(18,3)) as "adjustment_amount", cast(null as numeric(18,3)) as "other_amount", 
    
    cast(10.0 as numeric(18,3))
 as "total_amount", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast(True as boolean)
 as "is_purchase", 
    
    cast('2010-03-02 12:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", cast(null as integer) as "last_load_id"
union all
select 
    
    cast('8' as character varying)
 as "invoice_id", 
    
    cast(null as integer)
 as "customer_id", 
    
    cast('GB' as character varying)
 as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", cast(null as integer) as "line_count", cast(null as integer) as "product_line_count", 
    
    cast(9 as bigint)
 as "units", 
    
    cast(99.0 as numeric(18,3))
 as "product_amount", cast(null as numeric(18,3)) as "shipping_amount", cast(null as numeric(18,3)) as "fee_amount", cast(null as numeric(18,3)) as "adjustment_amount", cast(null as numeric(18,3)) as "other_amount", 
    
    cast(99.0 as numeric(18,3))
 as "total_amount", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast(True as boolean)
 as "is_purchase", 
    
    cast('2010-03-02 12:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", cast(null as integer) as "last_load_id"
), fct_invoices as (

    select * from __dbt__cte__fct_invoices

),

customer_invoices as (

    select *
    from fct_invoices
    where customer_id is not null

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
        sum(case when invoice_kind = 'sale' then units else 0 end) as units
    from customer_invoices
    group by 1

),

final as (

    select
        customers_aggregated.customer_id,
        main_countries.country_code,
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
            as last_purchase_date
    from customers_aggregated
    inner join main_countries
        on customers_aggregated.customer_id = main_countries.customer_id

)

select * from final
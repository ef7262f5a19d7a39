
-- Fixture for dim_customers
select 
    
    cast(1 as integer)
 as "customer_id", 
    
    cast('GB' as character varying)
 as "country_code", cast(null as integer) as "country_count", 
    
    cast(3 as integer)
 as "order_count", cast(null as integer) as "cancelled_invoice_count", cast(null as bigint) as "units", cast(null as numeric(18,2)) as "gross_sales", cast(null as numeric(18,2)) as "cancelled_amount", 
    
    cast(100.0 as numeric(18,2))
 as "net_revenue", cast(null as numeric(18,2)) as "non_product_amount", 
    
    cast(True as boolean)
 as "has_purchase", cast(null as timestamp without time zone) as "first_purchase_at", cast(null as timestamp without time zone) as "last_purchase_at", cast(null as date) as "first_purchase_date", cast(null as date) as "last_purchase_date"
union all
select 
    
    cast(2 as integer)
 as "customer_id", 
    
    cast('FR' as character varying)
 as "country_code", cast(null as integer) as "country_count", 
    
    cast(1 as integer)
 as "order_count", cast(null as integer) as "cancelled_invoice_count", cast(null as bigint) as "units", cast(null as numeric(18,2)) as "gross_sales", cast(null as numeric(18,2)) as "cancelled_amount", 
    
    cast(20.0 as numeric(18,2))
 as "net_revenue", cast(null as numeric(18,2)) as "non_product_amount", 
    
    cast(True as boolean)
 as "has_purchase", cast(null as timestamp without time zone) as "first_purchase_at", cast(null as timestamp without time zone) as "last_purchase_at", cast(null as date) as "first_purchase_date", cast(null as date) as "last_purchase_date"
union all
select 
    
    cast(3 as integer)
 as "customer_id", 
    
    cast('GB' as character varying)
 as "country_code", cast(null as integer) as "country_count", 
    
    cast(0 as integer)
 as "order_count", cast(null as integer) as "cancelled_invoice_count", cast(null as bigint) as "units", cast(null as numeric(18,2)) as "gross_sales", cast(null as numeric(18,2)) as "cancelled_amount", 
    
    cast(-5.0 as numeric(18,2))
 as "net_revenue", cast(null as numeric(18,2)) as "non_product_amount", 
    
    cast(False as boolean)
 as "has_purchase", cast(null as timestamp without time zone) as "first_purchase_at", cast(null as timestamp without time zone) as "last_purchase_at", cast(null as date) as "first_purchase_date", cast(null as date) as "last_purchase_date"
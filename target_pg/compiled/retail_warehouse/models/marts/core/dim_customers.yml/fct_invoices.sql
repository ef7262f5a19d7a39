
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
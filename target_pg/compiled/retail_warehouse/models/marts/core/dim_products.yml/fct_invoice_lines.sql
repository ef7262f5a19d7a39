
-- Fixture for fct_invoice_lines
select cast(null as character varying) as "invoice_line_id", cast(null as character varying) as "invoice_id", cast(null as integer) as "customer_id", 
    
    cast('22087' as character varying)
 as "product_id", cast(null as character varying) as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", 
    
    cast('product' as character varying)
 as "line_category", 
    
    cast('product' as character varying)
 as "revenue_group", 
    
    cast('OLD NAME' as character varying)
 as "description", cast(null as integer) as "quantity", 
    
    cast(1.0 as numeric(18,3))
 as "unit_price", cast(null as numeric(18,3)) as "line_amount", cast(null as boolean) as "is_product", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast('2010-01-01 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", 
    
    cast(1 as integer)
 as "load_id", 
    
    cast(1 as bigint)
 as "source_row_number"
union all
select cast(null as character varying) as "invoice_line_id", cast(null as character varying) as "invoice_id", cast(null as integer) as "customer_id", 
    
    cast('22087' as character varying)
 as "product_id", cast(null as character varying) as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", 
    
    cast('product' as character varying)
 as "line_category", 
    
    cast('product' as character varying)
 as "revenue_group", 
    
    cast('NEW NAME' as character varying)
 as "description", cast(null as integer) as "quantity", 
    
    cast(2.0 as numeric(18,3))
 as "unit_price", cast(null as numeric(18,3)) as "line_amount", cast(null as boolean) as "is_product", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast('2010-02-01 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", 
    
    cast(1 as integer)
 as "load_id", 
    
    cast(2 as bigint)
 as "source_row_number"
union all
select cast(null as character varying) as "invoice_line_id", cast(null as character varying) as "invoice_id", cast(null as integer) as "customer_id", 
    
    cast('22087' as character varying)
 as "product_id", cast(null as character varying) as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", 
    
    cast('product' as character varying)
 as "line_category", 
    
    cast('product' as character varying)
 as "revenue_group", 
    
    cast(null as character varying)
 as "description", cast(null as integer) as "quantity", 
    
    cast(4.0 as numeric(18,3))
 as "unit_price", cast(null as numeric(18,3)) as "line_amount", cast(null as boolean) as "is_product", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast('2010-03-01 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", 
    
    cast(1 as integer)
 as "load_id", 
    
    cast(3 as bigint)
 as "source_row_number"
union all
select cast(null as character varying) as "invoice_line_id", cast(null as character varying) as "invoice_id", cast(null as integer) as "customer_id", 
    
    cast('22087' as character varying)
 as "product_id", cast(null as character varying) as "country_code", 
    
    cast('cancellation' as character varying)
 as "invoice_kind", 
    
    cast('product' as character varying)
 as "line_category", 
    
    cast('product' as character varying)
 as "revenue_group", 
    
    cast('RETURNED' as character varying)
 as "description", cast(null as integer) as "quantity", 
    
    cast(100.0 as numeric(18,3))
 as "unit_price", cast(null as numeric(18,3)) as "line_amount", cast(null as boolean) as "is_product", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast('2010-01-15 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", 
    
    cast(1 as integer)
 as "load_id", 
    
    cast(4 as bigint)
 as "source_row_number"
union all
select cast(null as character varying) as "invoice_line_id", cast(null as character varying) as "invoice_id", cast(null as integer) as "customer_id", 
    
    cast('POST' as character varying)
 as "product_id", cast(null as character varying) as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", 
    
    cast('postage' as character varying)
 as "line_category", 
    
    cast('shipping' as character varying)
 as "revenue_group", 
    
    cast('POSTAGE' as character varying)
 as "description", cast(null as integer) as "quantity", 
    
    cast(18.0 as numeric(18,3))
 as "unit_price", cast(null as numeric(18,3)) as "line_amount", cast(null as boolean) as "is_product", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast('2010-01-01 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", 
    
    cast(1 as integer)
 as "load_id", 
    
    cast(5 as bigint)
 as "source_row_number"

-- Fixture for dim_countries
select 
    
    cast('GB' as character varying)
 as "country_code", 
    
    cast('United Kingdom' as character varying)
 as "country_name", cast(null as character varying) as "source_country_name", 
    
    cast('United Kingdom' as character varying)
 as "region", cast(null as integer) as "invoice_count", cast(null as integer) as "customer_count", cast(null as boolean) as "is_iso_country", cast(null as boolean) as "is_home_country", cast(null as timestamp without time zone) as "first_invoiced_at", cast(null as timestamp without time zone) as "last_invoiced_at"
union all
select 
    
    cast('FR' as character varying)
 as "country_code", 
    
    cast('France' as character varying)
 as "country_name", cast(null as character varying) as "source_country_name", 
    
    cast('Europe' as character varying)
 as "region", cast(null as integer) as "invoice_count", cast(null as integer) as "customer_count", cast(null as boolean) as "is_iso_country", cast(null as boolean) as "is_home_country", cast(null as timestamp without time zone) as "first_invoiced_at", cast(null as timestamp without time zone) as "last_invoiced_at"
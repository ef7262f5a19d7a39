
-- Fixture for mart_customer_rfm
select 
    
    cast(1 as integer)
 as "customer_id", cast(null as date) as "reference_date", cast(null as date) as "window_start_date", cast(null as character varying) as "rfm_definition", cast(null as character varying) as "frequency_binning", cast(null as date) as "first_purchase_date", cast(null as date) as "last_purchase_date", cast(null as integer) as "recency_days", cast(null as integer) as "frequency", cast(null as numeric(18,2)) as "monetary", 
    
    cast(5 as integer)
 as "r_score", cast(null as integer) as "f_score", cast(null as integer) as "m_score", cast(null as character varying) as "rfm_cell", cast(null as integer) as "rfm_score", 
    
    cast('Champions' as character varying)
 as "segment"
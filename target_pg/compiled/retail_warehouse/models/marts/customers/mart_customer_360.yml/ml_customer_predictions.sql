
-- Fixture for ml_customer_predictions
select 
    
    cast(1 as bigint)
 as "customer_id", 
    
    cast(0.8 as double precision)
 as "purchase_probability", 
    
    cast(50.0 as double precision)
 as "expected_net_revenue", cast(null as double precision) as "recency_days", cast(null as double precision) as "frequency", cast(null as double precision) as "monetary", cast(null as double precision) as "net_revenue_previous_horizon", cast(null as bigint) as "probability_rank", 
    
    cast(90 as bigint)
 as "horizon_days", cast(null as text) as "purchase_model", cast(null as text) as "spend_model", cast(null as bigint) as "training_rows", cast(null as text) as "model_version", cast(null as date) as "as_of_date"
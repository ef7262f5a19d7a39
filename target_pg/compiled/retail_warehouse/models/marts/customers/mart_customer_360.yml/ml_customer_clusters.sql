
-- Fixture for ml_customer_clusters
select 
    
    cast(1 as bigint)
 as "customer_id", 
    
    cast(1 as bigint)
 as "cluster_id", 
    
    cast('high-value' as text)
 as "cluster_label", cast(null as double precision) as "recency_days", cast(null as double precision) as "frequency", cast(null as double precision) as "monetary", cast(null as double precision) as "tenure_days", cast(null as double precision) as "avg_order_value", cast(null as double precision) as "cancellation_rate", cast(null as double precision) as "product_breadth", cast(null as bigint) as "cluster_count", cast(null as double precision) as "silhouette_score", cast(null as text) as "model_version", cast(null as date) as "as_of_date"
union all
select 
    
    cast(2 as bigint)
 as "customer_id", 
    
    cast(2 as bigint)
 as "cluster_id", 
    
    cast('lapsed' as text)
 as "cluster_label", cast(null as double precision) as "recency_days", cast(null as double precision) as "frequency", cast(null as double precision) as "monetary", cast(null as double precision) as "tenure_days", cast(null as double precision) as "avg_order_value", cast(null as double precision) as "cancellation_rate", cast(null as double precision) as "product_breadth", cast(null as bigint) as "cluster_count", cast(null as double precision) as "silhouette_score", cast(null as text) as "model_version", cast(null as date) as "as_of_date"
union all
select 
    
    cast(3 as bigint)
 as "customer_id", 
    
    cast(3 as bigint)
 as "cluster_id", 
    
    cast('lapsed' as text)
 as "cluster_label", cast(null as double precision) as "recency_days", cast(null as double precision) as "frequency", cast(null as double precision) as "monetary", cast(null as double precision) as "tenure_days", cast(null as double precision) as "avg_order_value", cast(null as double precision) as "cancellation_rate", cast(null as double precision) as "product_breadth", cast(null as bigint) as "cluster_count", cast(null as double precision) as "silhouette_score", cast(null as text) as "model_version", cast(null as date) as "as_of_date"
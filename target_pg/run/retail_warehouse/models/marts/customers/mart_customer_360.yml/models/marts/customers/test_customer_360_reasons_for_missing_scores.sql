
    -- Build actual result given inputs
with dbt_internal_unit_test_actual as (
  select
    "customer_id","country_name","region","rfm_segment","rfm_not_scored_reason","cluster_id","cluster_not_scored_reason","purchase_probability","prediction_not_scored_reason","is_loyalty_member","loyalty_tier","points_balance", 'actual' as "actual_or_expected"
  from (
    with

 __dbt__cte__dim_customers as (

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
),  __dbt__cte__dim_countries as (

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
),  __dbt__cte__mart_customer_rfm as (

-- Fixture for mart_customer_rfm
select 
    
    cast(1 as integer)
 as "customer_id", cast(null as date) as "reference_date", cast(null as date) as "window_start_date", cast(null as character varying) as "rfm_definition", cast(null as character varying) as "frequency_binning", cast(null as date) as "first_purchase_date", cast(null as date) as "last_purchase_date", cast(null as integer) as "recency_days", cast(null as integer) as "frequency", cast(null as numeric(18,2)) as "monetary", 
    
    cast(5 as integer)
 as "r_score", cast(null as integer) as "f_score", cast(null as integer) as "m_score", cast(null as character varying) as "rfm_cell", cast(null as integer) as "rfm_score", 
    
    cast('Champions' as character varying)
 as "segment"
),  __dbt__cte__ml_customer_clusters as (

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
),  __dbt__cte__ml_customer_predictions as (

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
),  __dbt__cte__mart_loyalty_balances as (

-- Fixture for mart_loyalty_balances
select 
    
    cast(1 as integer)
 as "customer_id", 
    
    cast('gold' as text)
 as "loyalty_tier", 
    
    cast(120 as bigint)
 as "points_balance", cast(null as numeric(18,2)) as "balance_liability", cast(null as bigint) as "lifetime_points_earned", cast(null as bigint) as "points_reversed", cast(null as bigint) as "points_redeemed", cast(null as bigint) as "points_expired", cast(null as bigint) as "rewards_redeemed", cast(null as numeric(18,2)) as "rewards_value", cast(null as integer) as "purchase_count", cast(null as date) as "first_activity_date", cast(null as date) as "last_activity_date", cast(null as date) as "last_purchase_date"
union all
select 
    
    cast(3 as integer)
 as "customer_id", 
    
    cast('none' as text)
 as "loyalty_tier", 
    
    cast(-10 as bigint)
 as "points_balance", cast(null as numeric(18,2)) as "balance_liability", cast(null as bigint) as "lifetime_points_earned", cast(null as bigint) as "points_reversed", cast(null as bigint) as "points_redeemed", cast(null as bigint) as "points_expired", cast(null as bigint) as "rewards_redeemed", cast(null as numeric(18,2)) as "rewards_value", cast(null as integer) as "purchase_count", cast(null as date) as "first_activity_date", cast(null as date) as "last_activity_date", cast(null as date) as "last_purchase_date"
), dim_customers as (

    select * from __dbt__cte__dim_customers

),

dim_countries as (

    select * from __dbt__cte__dim_countries

),

mart_customer_rfm as (

    select * from __dbt__cte__mart_customer_rfm

),

ml_customer_clusters as (

    select * from __dbt__cte__ml_customer_clusters

),

ml_customer_predictions as (

    select * from __dbt__cte__ml_customer_predictions

),

mart_loyalty_balances as (

    select * from __dbt__cte__mart_loyalty_balances

),

-- Every table below has at most one row per customer (their keys are
-- tested), so each left join keeps one row per customer of dim_customers.
customers_joined as (

    select
        dim_customers.customer_id,
        dim_customers.country_code,
        dim_countries.country_name,
        dim_countries.region,
        dim_customers.has_purchase,
        dim_customers.first_purchase_date,
        dim_customers.last_purchase_date,
        dim_customers.order_count,
        dim_customers.cancelled_invoice_count,
        dim_customers.gross_sales,
        dim_customers.net_revenue,
        mart_customer_rfm.customer_id is not null as is_rfm_scored,
        mart_customer_rfm.reference_date as rfm_reference_date,
        mart_customer_rfm.recency_days,
        mart_customer_rfm.r_score,
        mart_customer_rfm.f_score,
        mart_customer_rfm.m_score,
        mart_customer_rfm.rfm_cell,
        mart_customer_rfm.rfm_score,
        mart_customer_rfm.segment as rfm_segment,
        ml_customer_clusters.customer_id is not null as is_clustered,
        ml_customer_clusters.cluster_id,
        ml_customer_clusters.cluster_label,
        ml_customer_predictions.customer_id is not null as is_predicted,
        ml_customer_predictions.purchase_probability,
        ml_customer_predictions.expected_net_revenue,
        ml_customer_predictions.horizon_days as prediction_horizon_days,
        mart_loyalty_balances.customer_id is not null as is_loyalty_member,
        mart_loyalty_balances.loyalty_tier,
        mart_loyalty_balances.points_balance
    from dim_customers
    left join dim_countries
        on dim_customers.country_code = dim_countries.country_code
    left join mart_customer_rfm
        on dim_customers.customer_id = mart_customer_rfm.customer_id
    left join ml_customer_clusters
        on dim_customers.customer_id = ml_customer_clusters.customer_id
    left join ml_customer_predictions
        on dim_customers.customer_id = ml_customer_predictions.customer_id
    left join mart_loyalty_balances
        on dim_customers.customer_id = mart_loyalty_balances.customer_id

),

final as (

    select
        customer_id,
        cast(country_code as TEXT) as country_code,
        cast(country_name as TEXT) as country_name,
        cast(region as TEXT) as region,
        first_purchase_date,
        last_purchase_date,
        cast(order_count as integer) as order_count,
        cast(cancelled_invoice_count as integer) as cancelled_invoice_count,
        cast(gross_sales as numeric(18, 2)) as gross_sales,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(recency_days as integer) as recency_days,
        cast(r_score as integer) as r_score,
        cast(f_score as integer) as f_score,
        cast(m_score as integer) as m_score,
        cast(rfm_cell as TEXT) as rfm_cell,
        cast(rfm_score as integer) as rfm_score,
        cast(rfm_segment as TEXT) as rfm_segment,
        rfm_reference_date,
        cast(
            case
                when is_rfm_scored then null
                when not has_purchase then 'no purchase invoice'
                else 'no purchase in the RFM window'
            end as TEXT
        ) as rfm_not_scored_reason,
        cast(cluster_id as integer) as cluster_id,
        cast(cluster_label as TEXT) as cluster_label,
        cast(
            case
                when is_clustered then null
                else 'not in ml_customer_clusters'
            end as TEXT
        ) as cluster_not_scored_reason,
        cast(purchase_probability as numeric(9, 6)) as purchase_probability,
        cast(expected_net_revenue as numeric(18, 2)) as expected_net_revenue,
        cast(prediction_horizon_days as integer) as prediction_horizon_days,
        cast(
            case
                when is_predicted then null
                when not has_purchase then 'no purchase invoice'
                else 'no purchase in the active window before the as-of date'
            end as TEXT
        ) as prediction_not_scored_reason,
        is_loyalty_member,
        cast(loyalty_tier as TEXT) as loyalty_tier,
        cast(points_balance as bigint) as points_balance
    from customers_joined

)

select * from final
  ) _dbt_internal_unit_test_actual
),
-- Build expected result
dbt_internal_unit_test_expected as (
  select
    "customer_id", "country_name", "region", "rfm_segment", "rfm_not_scored_reason", "cluster_id", "cluster_not_scored_reason", "purchase_probability", "prediction_not_scored_reason", "is_loyalty_member", "loyalty_tier", "points_balance", 'expected' as "actual_or_expected"
  from (
    select 
    
    cast(1 as integer)
 as "customer_id", 
    
    cast('United Kingdom' as text)
 as "country_name", 
    
    cast('United Kingdom' as text)
 as "region", 
    
    cast('Champions' as text)
 as "rfm_segment", 
    
    cast(null as text)
 as "rfm_not_scored_reason", 
    
    cast(1 as integer)
 as "cluster_id", 
    
    cast(null as text)
 as "cluster_not_scored_reason", 
    
    cast(0.8 as numeric(9,6))
 as "purchase_probability", 
    
    cast(null as text)
 as "prediction_not_scored_reason", 
    
    cast(True as boolean)
 as "is_loyalty_member", 
    
    cast('gold' as text)
 as "loyalty_tier", 
    
    cast(120 as bigint)
 as "points_balance"
union all
select 
    
    cast(2 as integer)
 as "customer_id", 
    
    cast('France' as text)
 as "country_name", 
    
    cast('Europe' as text)
 as "region", 
    
    cast(null as text)
 as "rfm_segment", 
    
    cast('no purchase in the RFM window' as text)
 as "rfm_not_scored_reason", 
    
    cast(2 as integer)
 as "cluster_id", 
    
    cast(null as text)
 as "cluster_not_scored_reason", 
    
    cast(null as numeric(9,6))
 as "purchase_probability", 
    
    cast('no purchase in the active window before the as-of date' as text)
 as "prediction_not_scored_reason", 
    
    cast(False as boolean)
 as "is_loyalty_member", 
    
    cast(null as text)
 as "loyalty_tier", 
    
    cast(null as bigint)
 as "points_balance"
union all
select 
    
    cast(3 as integer)
 as "customer_id", 
    
    cast('United Kingdom' as text)
 as "country_name", 
    
    cast('United Kingdom' as text)
 as "region", 
    
    cast(null as text)
 as "rfm_segment", 
    
    cast('no purchase invoice' as text)
 as "rfm_not_scored_reason", 
    
    cast(3 as integer)
 as "cluster_id", 
    
    cast(null as text)
 as "cluster_not_scored_reason", 
    
    cast(null as numeric(9,6))
 as "purchase_probability", 
    
    cast('no purchase invoice' as text)
 as "prediction_not_scored_reason", 
    
    cast(True as boolean)
 as "is_loyalty_member", 
    
    cast('none' as text)
 as "loyalty_tier", 
    
    cast(-10 as bigint)
 as "points_balance"
  ) _dbt_internal_unit_test_expected
)
-- Union actual and expected results
select * from dbt_internal_unit_test_actual
union all
select * from dbt_internal_unit_test_expected
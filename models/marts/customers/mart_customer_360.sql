with

dim_customers as (

    select * from {{ ref('dim_customers') }}

),

dim_countries as (

    select * from {{ ref('dim_countries') }}

),

mart_customer_rfm as (

    select * from {{ ref('mart_customer_rfm') }}

),

ml_customer_clusters as (

    select * from {{ ref('ml_customer_clusters') }}

),

ml_customer_predictions as (

    select * from {{ ref('ml_customer_predictions') }}

),

mart_loyalty_balances as (

    select * from {{ ref('mart_loyalty_balances') }}

),

fct_invoice_lines as {{ not_materialized() }} (

    select * from {{ ref('fct_invoice_lines') }}

),

-- Lifetime sales and returns of the customer's product lines (as in
-- mart_product_returns).
customer_returns as (

    select
        customer_id,
        {{ line_measures([
            'gross_sales',
            'units_sold',
            'returned_amount',
            'units_returned',
        ]) }}
    from fct_invoice_lines
    where is_product and customer_id is not null
    group by 1

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
        mart_loyalty_balances.points_balance,
        ml_customer_predictions.p_alive,
        ml_customer_predictions.is_churned,
        ml_customer_predictions.lifetime_value,
        ml_customer_predictions.lifetime_value_lower,
        ml_customer_predictions.lifetime_value_upper,
        coalesce(customer_returns.gross_sales, 0) as line_gross_sales,
        coalesce(customer_returns.units_sold, 0) as units_sold,
        coalesce(customer_returns.returned_amount, 0) as returned_amount,
        coalesce(customer_returns.units_returned, 0) as units_returned
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
    left join customer_returns
        on dim_customers.customer_id = customer_returns.customer_id

),

final as (

    select
        customer_id,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(country_name as {{ dbt.type_string() }}) as country_name,
        cast(region as {{ dbt.type_string() }}) as region,
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
        cast(rfm_cell as {{ dbt.type_string() }}) as rfm_cell,
        cast(rfm_score as integer) as rfm_score,
        cast(rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        rfm_reference_date,
        cast(
            case
                when is_rfm_scored then null
                when not has_purchase then 'no purchase invoice'
                else 'no purchase in the RFM window'
            end as {{ dbt.type_string() }}
        ) as rfm_not_scored_reason,
        cast(cluster_id as integer) as cluster_id,
        cast(cluster_label as {{ dbt.type_string() }}) as cluster_label,
        cast(
            case
                when is_clustered then null
                else 'not in ml_customer_clusters'
            end as {{ dbt.type_string() }}
        ) as cluster_not_scored_reason,
        cast(purchase_probability as numeric(9, 6)) as purchase_probability,
        cast(expected_net_revenue as numeric(18, 2)) as expected_net_revenue,
        cast(prediction_horizon_days as integer) as prediction_horizon_days,
        cast(
            case
                when is_predicted then null
                when not has_purchase then 'no purchase invoice'
                else 'no purchase in the active window before the as-of date'
            end as {{ dbt.type_string() }}
        ) as prediction_not_scored_reason,
        is_loyalty_member,
        cast(loyalty_tier as {{ dbt.type_string() }}) as loyalty_tier,
        cast(points_balance as bigint) as points_balance,
        cast(p_alive as numeric(9, 6)) as p_alive,
        is_churned,
        cast(lifetime_value as numeric(18, 2)) as lifetime_value,
        cast(lifetime_value_lower as numeric(18, 2)) as lifetime_value_lower,
        cast(lifetime_value_upper as numeric(18, 2)) as lifetime_value_upper,
        cast(returned_amount as numeric(18, 2)) as returned_amount,
        cast(units_returned as bigint) as units_returned,
        {{ divide_rounded('returned_amount', 'line_gross_sales', 4) }}
            as value_return_rate,
        {{ divide_rounded('units_returned', 'units_sold', 4) }}
            as unit_return_rate
    from customers_joined

)

select * from final

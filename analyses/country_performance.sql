-- Where do sales come from, and which countries grow?
with

mart_country_performance as (

    select * from {{ ref('mart_country_performance') }}

)

select
    revenue_rank,
    country_name,
    region,
    net_revenue,
    revenue_share,
    customer_count,
    order_count,
    average_order_value,
    net_revenue_growth_12m_pct
from mart_country_performance
order by revenue_rank

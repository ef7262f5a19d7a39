-- Which products make the money? ABC classes and the top 25 products.
with

mart_product_performance as (

    select * from {{ ref('mart_product_performance') }}

)

select
    revenue_rank,
    product_id,
    description,
    abc_class,
    net_revenue,
    cumulative_revenue_share,
    units_sold,
    customer_count,
    cancellation_rate
from mart_product_performance
where revenue_rank <= 25
order by revenue_rank

-- Who belongs in the loyalty programme? Tier sizes and revenue, then the
-- platinum customers.
with

mart_top_customers as (

    select * from {{ ref('mart_top_customers') }}

),

tiers as (

    select
        loyalty_tier,
        count(*) as customer_count,
        sum(trailing_net_revenue) as trailing_net_revenue,
        min(trailing_net_revenue) as entry_revenue
    from mart_top_customers
    group by loyalty_tier

)

select
    loyalty_tier,
    customer_count,
    trailing_net_revenue,
    entry_revenue
from tiers
order by entry_revenue desc

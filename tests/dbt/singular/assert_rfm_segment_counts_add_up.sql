-- mart_rfm_segments agrees with mart_customer_rfm: each segment's customers
-- and revenue equal those counted from the customers, the segments add up
-- to all scored customers, and no customer's segment is missing from the
-- summary. Returns the checks that fail.
with

mart_customer_rfm as (

    select * from {{ ref('mart_customer_rfm') }}

),

mart_rfm_segments as (

    select * from {{ ref('mart_rfm_segments') }}

),

customers_by_segment as (

    select
        segment,
        count(*) as customer_count,
        sum(monetary) as net_revenue
    from mart_customer_rfm
    group by 1

),

per_segment as (

    select
        coalesce(mart_rfm_segments.segment, customers_by_segment.segment)
            as check_name,
        cast(coalesce(customers_by_segment.customer_count, 0) as bigint)
            as expected_customers,
        cast(mart_rfm_segments.customer_count as bigint) as actual_customers,
        cast(coalesce(customers_by_segment.net_revenue, 0) as numeric(18, 2))
            as expected_revenue,
        cast(mart_rfm_segments.net_revenue as numeric(18, 2)) as actual_revenue
    from mart_rfm_segments
    full outer join customers_by_segment
        on mart_rfm_segments.segment = customers_by_segment.segment

),

customer_totals as (

    select
        count(*) as customer_count,
        sum(monetary) as net_revenue
    from mart_customer_rfm

),

segment_totals as (

    select
        sum(customer_count) as customer_count,
        sum(net_revenue) as net_revenue
    from mart_rfm_segments

),

total as (

    select
        'all segments' as check_name,
        cast(customer_totals.customer_count as bigint) as expected_customers,
        cast(segment_totals.customer_count as bigint) as actual_customers,
        cast(customer_totals.net_revenue as numeric(18, 2)) as expected_revenue,
        cast(segment_totals.net_revenue as numeric(18, 2)) as actual_revenue
    from customer_totals
    cross join segment_totals

),

final as (

    select * from per_segment
    union all
    select * from total

)

select * from final
where
    actual_customers is null
    or actual_customers != expected_customers
    or actual_revenue != expected_revenue

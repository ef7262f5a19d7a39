with

mart_customer_rfm as (

    select * from {{ ref('mart_customer_rfm') }}

),

rfm_segment_definitions as (

    select * from {{ ref('rfm_segment_definitions') }}

),

reference_dates as (

    select
        max(reference_date) as reference_date,
        count(*) as customer_count,
        sum(monetary) as total_monetary
    from mart_customer_rfm

),

-- Means and medians of the raw values (days, purchases, GBP), not of the
-- scores. Means are exact sums over counts, rounded once.
segments_aggregated as (

    select
        segment,
        count(*) as customer_count,
        sum(recency_days) as total_recency_days,
        sum(frequency) as total_frequency,
        sum(monetary) as total_monetary,
        cast(
            {{ percentile_cont('recency_days', 0.5) }} as numeric(18, 4)
        ) as median_recency_days,
        cast(
            {{ percentile_cont('frequency', 0.5) }} as numeric(18, 4)
        ) as median_frequency,
        cast(
            {{ percentile_cont('monetary', 0.5) }} as numeric(18, 4)
        ) as median_monetary
    from mart_customer_rfm
    group by 1

),

-- Every segment of the definitions, with or without customers.
final as (

    select
        rfm_segment_definitions.segment,
        cast(rfm_segment_definitions.segment_order as integer)
            as segment_order,
        reference_dates.reference_date,
        cast(coalesce(segments_aggregated.customer_count, 0) as integer)
            as customer_count,
        cast(
            coalesce(
                {{ divide_rounded(
                    'segments_aggregated.customer_count',
                    'reference_dates.customer_count',
                    4
                ) }},
                0
            ) as numeric(9, 4)
        ) as customer_share,
        cast(
            {{ divide_rounded(
                'segments_aggregated.total_recency_days',
                'segments_aggregated.customer_count',
                2
            ) }} as numeric(18, 2)
        ) as mean_recency_days,
        cast(segments_aggregated.median_recency_days as numeric(18, 2))
            as median_recency_days,
        cast(
            {{ divide_rounded(
                'segments_aggregated.total_frequency',
                'segments_aggregated.customer_count',
                2
            ) }} as numeric(18, 2)
        ) as mean_frequency,
        cast(segments_aggregated.median_frequency as numeric(18, 2))
            as median_frequency,
        cast(
            {{ divide_rounded(
                'segments_aggregated.total_monetary',
                'segments_aggregated.customer_count',
                2
            ) }} as numeric(18, 2)
        ) as mean_monetary,
        cast(segments_aggregated.median_monetary as numeric(18, 2))
            as median_monetary,
        cast(coalesce(segments_aggregated.total_monetary, 0) as numeric(18, 2))
            as net_revenue,
        cast(
            coalesce(
                {{ divide_rounded(
                    'segments_aggregated.total_monetary',
                    'reference_dates.total_monetary',
                    4
                ) }},
                0
            ) as numeric(9, 4)
        ) as revenue_share,
        rfm_segment_definitions.description,
        rfm_segment_definitions.recommended_action
    from rfm_segment_definitions
    cross join reference_dates
    left join segments_aggregated
        on rfm_segment_definitions.segment = segments_aggregated.segment

)

select * from final

with

mart_customer_rfm as (

    select * from {{ ref('mart_customer_rfm') }}

),

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

-- The quintile edges of the current scores: the same macro over the same
-- values as in mart_customer_rfm, so they are the edges it scored with.
value_edges as (

    select
        max(reference_date) as reference_date,
        max(window_start_date) as window_start_date,
        max(rfm_definition) as rfm_definition,
        max(frequency_binning) as frequency_binning,
        {{ rfm_quantile_edges('recency_days', 'recency') }},
        {{ rfm_quantile_edges('frequency', 'frequency') }},
        {{ rfm_quantile_edges('monetary', 'monetary') }}
    from mart_customer_rfm

),

final as (

    select
        cast(rfm_segments.r_score as integer) as r_score,
        cast(rfm_segments.f_score as integer) as f_score,
        cast(rfm_segments.segment as {{ dbt.type_string() }}) as segment,
        value_edges.reference_date,
        value_edges.window_start_date,
        value_edges.rfm_definition,
        value_edges.frequency_binning,
        value_edges.recency_p20,
        value_edges.recency_p40,
        value_edges.recency_p60,
        value_edges.recency_p80,
        value_edges.frequency_p20,
        value_edges.frequency_p40,
        value_edges.frequency_p60,
        value_edges.frequency_p80,
        value_edges.monetary_p20,
        value_edges.monetary_p40,
        value_edges.monetary_p60,
        value_edges.monetary_p80
    from rfm_segments
    cross join value_edges

)

select * from final

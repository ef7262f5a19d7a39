{{
    config(**incremental_by_grain(
        'month_start_date', partition_by='month_start_date'
    ))
}}

with

int_customer_snapshots_measured as (

    select * from {{ ref('int_customer_snapshots_measured') }}

),

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

-- An incremental run recomputes the snapshots from the earliest one that
-- counts a new load and the one that was the last
-- (snapshot_recompute_from), as int_customer_snapshots_measured does.
recompute_from as (

    {% if is_incremental() -%}
    {{ snapshot_recompute_from(
        'int_customer_snapshots_measured', 'month_start_date'
    ) }}
    {%- else -%}
    select min(month_start_date) as month_start_date
    from int_customer_snapshots_measured
    {%- endif %}

),

-- Read twice (edges, scores) and not buffered: 72.6 M rows at TPC-H SF 10
-- ran DuckDB out of memory as a materialized CTE.
customers_measured as {{ not_materialized() }} (

    select
        customer_id,
        month_start_date,
        as_of_date,
        is_complete_month,
        recency_days,
        frequency,
        monetary,
        last_load_id
    from int_customer_snapshots_measured
    where
        month_start_date
        >= (select recompute_from.month_start_date from recompute_from)

),

-- Each snapshot has its own quintile edges.
value_edges as (

    select
        as_of_date,
        {{ rfm_quantile_edges('recency_days', 'recency') }},
        {{ rfm_quantile_edges('frequency', 'frequency') }},
        {{ rfm_quantile_edges('monetary', 'monetary') }}
    from customers_measured
    group by 1

),

customers_scored as (

    select
        customers_measured.month_start_date,
        customers_measured.as_of_date,
        customers_measured.is_complete_month,
        customers_measured.customer_id,
        customers_measured.recency_days,
        customers_measured.frequency,
        customers_measured.monetary,
        customers_measured.last_load_id,
        {{ rfm_scores(
            'customers_measured',
            'value_edges',
            rank_partition_by='customers_measured.as_of_date'
        ) }}
    from customers_measured
    inner join value_edges
        on customers_measured.as_of_date = value_edges.as_of_date

),

customers_segmented as (

    select
        customers_scored.customer_id,
        customers_scored.month_start_date,
        customers_scored.as_of_date,
        customers_scored.is_complete_month,
        customers_scored.recency_days,
        customers_scored.frequency,
        customers_scored.monetary,
        customers_scored.last_load_id,
        customers_scored.r_score,
        customers_scored.f_score,
        customers_scored.m_score,
        rfm_segments.segment
    from customers_scored
    left join rfm_segments
        on
            customers_scored.r_score = rfm_segments.r_score
            and customers_scored.f_score = rfm_segments.f_score

),

snapshot_before as (

    {% if is_incremental() -%}
    select
        customer_id,
        segment
    from {{ this }}
    where
        month_start_date = (
            select
                cast(
                    {{ dbt.dateadd(
                        'month', -1, 'recompute_from.month_start_date'
                    ) }} as date
                )
            from recompute_from
        )
    {%- else -%}
    select
        customer_id,
        segment
    from customers_segmented
    where 1 = 0
    {%- endif %}

),

final as (

    select
        customers_segmented.customer_id,
        customers_segmented.month_start_date,
        customers_segmented.as_of_date,
        customers_segmented.is_complete_month,
        customers_segmented.recency_days,
        customers_segmented.frequency,
        customers_segmented.monetary,
        cast(customers_segmented.r_score as integer) as r_score,
        cast(customers_segmented.f_score as integer) as f_score,
        cast(customers_segmented.m_score as integer) as m_score,
        -- One text type on both runs (PostgreSQL's || gives text), as in
        -- fct_invoices.
        cast(
            cast(customers_segmented.r_score as {{ dbt.type_string() }})
            || cast(customers_segmented.f_score as {{ dbt.type_string() }})
            || cast(customers_segmented.m_score as {{ dbt.type_string() }})
            as {{ text_type() }}
        ) as rfm_cell,
        cast(
            customers_segmented.r_score
            + customers_segmented.f_score
            + customers_segmented.m_score as integer
        ) as rfm_score,
        customers_segmented.segment,
        -- The snapshot before the first one recomputed is in the table.
        coalesce(
            lag(customers_segmented.segment) over (
                partition by customers_segmented.customer_id
                order by customers_segmented.as_of_date
            ),
            snapshot_before.segment
        ) as previous_segment,
        cast(customers_segmented.last_load_id as integer) as last_load_id
    from customers_segmented
    left join snapshot_before
        on customers_segmented.customer_id = snapshot_before.customer_id

)

select * from final

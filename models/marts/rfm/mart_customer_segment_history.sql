with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

dim_dates as (

    select * from {{ ref('dim_dates') }}

),

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

-- One snapshot per month of the data, as of its last day: the month-end,
-- or the last data date for the month the data ends in (a partial month).
snapshots as (

    select
        month_start_date,
        max(case when is_in_data_range then date_day end) as as_of_date,
        max(date_day) as month_end_date
    from dim_dates
    group by 1

),

snapshots_in_data as (

    select
        month_start_date,
        as_of_date,
        as_of_date = month_end_date as is_complete_month
    from snapshots
    where as_of_date is not null

),

-- The reference date of a snapshot is the day after it, as in
-- mart_customer_rfm; all history before it counts (rfm_window_months does
-- not apply).
periods as (

    select
        month_start_date,
        as_of_date,
        is_complete_month,
        cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as date)
            as reference_date,
        cast(null as date) as window_start_date
    from snapshots_in_data

),

-- Scored from the first snapshot after the customer's first purchase on.
customers_measured_per_reference_date as (

    {{ rfm_customers_measured('fct_invoices', 'periods') }}

),

customers_measured as (

    select
        periods.month_start_date,
        periods.as_of_date,
        periods.is_complete_month,
        customers_measured_per_reference_date.customer_id,
        customers_measured_per_reference_date.recency_days,
        customers_measured_per_reference_date.frequency,
        customers_measured_per_reference_date.monetary
    from customers_measured_per_reference_date
    inner join periods
        on
            customers_measured_per_reference_date.reference_date
            = periods.reference_date

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

final as (

    select
        customer_id,
        month_start_date,
        as_of_date,
        is_complete_month,
        recency_days,
        frequency,
        monetary,
        cast(r_score as integer) as r_score,
        cast(f_score as integer) as f_score,
        cast(m_score as integer) as m_score,
        cast(r_score as {{ dbt.type_string() }})
        || cast(f_score as {{ dbt.type_string() }})
        || cast(m_score as {{ dbt.type_string() }}) as rfm_cell,
        cast(r_score + f_score + m_score as integer) as rfm_score,
        segment,
        lag(segment) over (
            partition by customer_id order by as_of_date
        ) as previous_segment
    from customers_segmented

)

select * from final

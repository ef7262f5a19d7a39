{{
    config(**incremental_by_grain(
        'month_start_date', partition_by='month_start_date'
    ))
}}

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

-- An incremental run recomputes the snapshots from the earliest month with
-- an invoice of a new load (every later snapshot counts it) and the one
-- that was the last (its as-of date moves as the data grows); earlier
-- snapshots cannot change.
recompute_from as (

    {% if is_incremental() -%}
    select
        least(
            coalesce(
                (
                    select min(affected.affected_key)
                    from (
                        {{ affected_keys(
                            'fct_invoices',
                            dbt.date_trunc('month', 'invoice_date')
                        ) }}
                    ) as affected
                ),
                max(month_start_date)
            ),
            max(month_start_date)
        ) as month_start_date
    from {{ this }}
    {%- else -%}
    select min(month_start_date) as month_start_date
    from snapshots_in_data
    {%- endif %}

),

-- The reference date of a snapshot is the day after it, as in
-- mart_customer_rfm; all history before it counts (rfm_window_months does
-- not apply).
-- The newest load a snapshot counts (lineage; drives incremental runs).
loads_by_month as (

    select
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date)
            as month_start_date,
        max(last_load_id) as last_load_id
    from fct_invoices
    group by 1

),

periods as (

    select
        snapshots_in_data.month_start_date,
        snapshots_in_data.as_of_date,
        snapshots_in_data.is_complete_month,
        cast(
            {{ dbt.dateadd('day', 1, 'snapshots_in_data.as_of_date') }} as date
        ) as reference_date,
        max(loads_by_month.last_load_id) as last_load_id
    from snapshots_in_data
    inner join loads_by_month
        on snapshots_in_data.month_start_date >= loads_by_month.month_start_date
    where
        snapshots_in_data.month_start_date
        >= (select recompute_from.month_start_date from recompute_from)
    group by 1, 2, 3, 4

),

-- The RFM measures of rfm_customers_measured (no window), added up per
-- customer and month: a snapshot counts every month up to its own, so the
-- running totals of the customer's months give each snapshot's recency,
-- frequency and monetary without reading the invoices once per snapshot
-- (that join grew with invoices x months: 276 s of a 491 s SQL build at
-- TPC-H SF 1).
customer_months as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date)
            as month_start_date,
        sum(case when is_purchase then 1 else 0 end) as purchase_count,
        max(case when is_purchase then invoice_date end)
            as last_purchase_date,
        sum(product_amount) as product_amount
    from fct_invoices
    where
        customer_id is not null
        and invoice_kind in ('sale', 'cancellation')
    group by 1, 2

),

-- Totals to the end of each month with activity, valid for the snapshots
-- until the customer's next such month (two plain inequalities, so the
-- engines can join by range instead of comparing every pair).
customer_running_totals as (

    select
        customer_id,
        month_start_date,
        coalesce(
            lead(month_start_date) over (
                partition by customer_id order by month_start_date
            ),
            cast('9999-12-01' as date)
        ) as valid_until_month_start_date,
        sum(purchase_count) over (
            partition by customer_id order by month_start_date
            rows between unbounded preceding and current row
        ) as purchase_count,
        max(last_purchase_date) over (
            partition by customer_id order by month_start_date
            rows between unbounded preceding and current row
        ) as last_purchase_date,
        sum(product_amount) over (
            partition by customer_id order by month_start_date
            rows between unbounded preceding and current row
        ) as product_amount
    from customer_months

),

-- Scored from the first snapshot after the customer's first purchase on.
customers_measured as (

    select
        periods.month_start_date,
        periods.as_of_date,
        periods.is_complete_month,
        customer_running_totals.customer_id,
        cast(
            {{ dbt.datediff(
                'customer_running_totals.last_purchase_date',
                'periods.reference_date',
                'day'
            ) }} as integer
        ) as recency_days,
        cast(customer_running_totals.purchase_count as integer) as frequency,
        cast(customer_running_totals.product_amount as numeric(18, 2))
            as monetary,
        periods.last_load_id
    from periods
    inner join customer_running_totals
        on
            periods.month_start_date
            >= customer_running_totals.month_start_date
            and periods.month_start_date
            < customer_running_totals.valid_until_month_start_date
    where customer_running_totals.purchase_count > 0

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

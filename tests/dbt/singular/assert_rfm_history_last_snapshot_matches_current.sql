-- With the default vars (reference date the day after the last invoice, all
-- history), the last snapshot of mart_customer_segment_history is the same
-- RFM as mart_customer_rfm: same customers, values, scores and segment.
-- The two models compute it separately, so this checks one against the
-- other. Disabled when rfm_reference_date or rfm_window_months is set.
{{ config(
    enabled=(
        var('rfm_reference_date', none) is none
        and var('rfm_window_months', none) is none
    )
) }}

with

mart_customer_rfm as (

    select * from {{ ref('mart_customer_rfm') }}

),

mart_customer_segment_history as (

    select * from {{ ref('mart_customer_segment_history') }}

),

latest_snapshot as (

    select max(as_of_date) as as_of_date
    from mart_customer_segment_history

),

last_snapshots as (

    select mart_customer_segment_history.*
    from mart_customer_segment_history
    inner join latest_snapshot
        on mart_customer_segment_history.as_of_date = latest_snapshot.as_of_date

),

final as (

    select
        coalesce(
            mart_customer_rfm.customer_id, last_snapshots.customer_id
        ) as customer_id,
        mart_customer_rfm.rfm_cell as current_rfm_cell,
        last_snapshots.rfm_cell as history_rfm_cell,
        mart_customer_rfm.segment as current_segment,
        last_snapshots.segment as history_segment
    from mart_customer_rfm
    full outer join last_snapshots
        on mart_customer_rfm.customer_id = last_snapshots.customer_id
    where
        mart_customer_rfm.customer_id is null
        or last_snapshots.customer_id is null
        or mart_customer_rfm.reference_date
        != {{ dbt.dateadd('day', 1, 'last_snapshots.as_of_date') }}
        or mart_customer_rfm.recency_days != last_snapshots.recency_days
        or mart_customer_rfm.frequency != last_snapshots.frequency
        or mart_customer_rfm.monetary != last_snapshots.monetary
        or mart_customer_rfm.rfm_cell != last_snapshots.rfm_cell
        or mart_customer_rfm.segment != last_snapshots.segment

)

select * from final

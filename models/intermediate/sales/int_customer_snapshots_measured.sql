{#-
    The RFM measures of each customer at each month-end snapshot, apart from
    the scoring in mart_customer_segment_history: one row per customer and
    snapshot (72.6 M at TPC-H SF 10), which DuckDB must write out rather
    than buffer as a CTE read twice (docs/benchmark.md).
-#}
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
-- an invoice of a new load and the one that was the last
-- (snapshot_recompute_from).
recompute_from as (

    {% if is_incremental() -%}
    {{ snapshot_recompute_from(
        'fct_invoices', dbt.date_trunc('month', 'invoice_date')
    ) }}
    {%- else -%}
    select min(month_start_date) as month_start_date
    from snapshots_in_data
    {%- endif %}

),

-- The newest load a snapshot counts (lineage; drives incremental runs).
loads_by_month as (

    select
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date)
            as month_start_date,
        max(last_load_id) as last_load_id
    from fct_invoices
    group by 1

),

-- The reference date of a snapshot is the day after it, as in
-- mart_customer_rfm; all history before it counts (rfm_window_months does
-- not apply).
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

-- Measured from the first snapshot after the customer's first purchase on;
-- mart_customer_segment_history scores them.
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

final as (

    select
        customer_id,
        month_start_date,
        as_of_date,
        is_complete_month,
        recency_days,
        frequency,
        monetary,
        cast(last_load_id as integer) as last_load_id
    from customers_measured

)

select * from final

with

-- Every raw sales line of the chosen source with its load and outcome (the
-- sales core): Online Retail II's invoice lines, TPC-H's lineitems.
int_source_lines_classified as (

    select * from {{ ref('int_source_lines_classified') }}

),

lines_per_load as (

    select
        load_id,
        min(source_file) as source_file,
        min(loaded_at) as loaded_at,
        count(*) as line_count,
        sum(case when has_customer then 0 else 1 end) as lines_without_customer,
        min(order_date) as first_invoice_date,
        max(order_date) as last_invoice_date
    from int_source_lines_classified
    group by 1

),

exclusions_per_load as (

    select
        load_id,
        sum(case when is_included then 0 else 1 end) as lines_excluded
    from int_source_lines_classified
    group by 1

),

-- Each invoice day is credited to the first load that brought it; the gap
-- before a day is the days since the previous invoice day of any load.
invoice_days as (

    select
        order_date as invoice_date,
        min(load_id) as load_id
    from int_source_lines_classified
    where order_date is not null
    group by 1

),

invoice_day_gaps as (

    select
        load_id,
        {{ dbt.datediff(
            'lag(invoice_date) over (order by invoice_date)',
            'invoice_date',
            'day'
        ) }} as days_since_previous_invoice_day
    from invoice_days

),

gaps_per_load as (

    select
        load_id,
        max(days_since_previous_invoice_day) as largest_invoice_date_gap_days
    from invoice_day_gaps
    group by 1

),

loads_compared as (

    select
        lines_per_load.*,
        exclusions_per_load.lines_excluded,
        gaps_per_load.largest_invoice_date_gap_days,
        avg(cast(lines_per_load.line_count as numeric(18, 3))) over (
            order by lines_per_load.load_id
            rows between {{ var('load_volume_recent_loads') }} preceding
            and 1 preceding
        ) as recent_average_line_count,
        lag(lines_per_load.loaded_at) over (
            order by lines_per_load.load_id
        ) as previous_loaded_at
    from lines_per_load
    left join exclusions_per_load
        on lines_per_load.load_id = exclusions_per_load.load_id
    left join gaps_per_load
        on lines_per_load.load_id = gaps_per_load.load_id

),

final as (

    select
        cast(load_id as integer) as load_id,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        loaded_at,
        cast(loaded_at as date) as load_date,
        cast(line_count as bigint) as line_count,
        cast(round(recent_average_line_count, 1) as numeric(18, 1))
            as recent_average_line_count,
        {{ divide_rounded('line_count', 'recent_average_line_count', 4, 9) }}
            as times_recent_average,
        {{ divide_rounded('lines_without_customer', 'line_count', 6, 9) }}
            as no_customer_line_share,
        {{ divide_rounded('coalesce(lines_excluded, 0)', 'line_count', 6, 9) }}
            as excluded_line_share,
        first_invoice_date,
        last_invoice_date,
        cast({{ dbt.datediff(
            'last_invoice_date', 'cast(loaded_at as date)', 'day'
        ) }} as integer) as days_from_last_invoice_to_load,
        cast({{ dbt.datediff(
            'cast(previous_loaded_at as date)', 'cast(loaded_at as date)', 'day'
        ) }} as integer) as days_since_previous_load,
        cast(coalesce(largest_invoice_date_gap_days, 0) as integer)
            as largest_invoice_date_gap_days,
        coalesce(
            line_count
            < {{ var('min_load_volume_ratio') }} * recent_average_line_count,
            false
        ) as is_low_volume,
        coalesce(largest_invoice_date_gap_days, 0)
        > {{ var('max_invoice_date_gap_days') }} as has_invoice_date_gap
    from loads_compared

)

select * from final

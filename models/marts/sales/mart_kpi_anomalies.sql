{%- set kpis = [
    'net_revenue', 'order_count', 'average_order_value', 'new_customer_count'
] -%}
{%- set directions = var('kpi_anomaly_directions') -%}
{%- for kpi in kpis if directions.get(kpi) not in ('drop', 'spike', 'both') -%}
    {{ exceptions.raise_compiler_error(
        "var kpi_anomaly_directions: " ~ kpi ~ " must be drop, spike or both, not '"
        ~ directions.get(kpi) ~ "'"
    ) }}
{%- endfor -%}

with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

dim_customers as (

    select * from {{ ref('dim_customers') }}

),

dim_countries as (

    select * from {{ ref('dim_countries') }}

),

dim_dates as (

    select * from {{ ref('dim_dates') }}

),

closing_days as (

    select * from {{ ref('closing_days') }}

),

days as (

    select
        dim_dates.date_day,
        dim_dates.week_start_date,
        dim_dates.iso_day_of_week,
        closing_days.closing_date is not null as is_closing_day
    from dim_dates
    left join closing_days
        on dim_dates.date_day = closing_days.closing_date
    where dim_dates.is_in_data_range

),

series as (

    select cast('total' as {{ text_type() }}) as series
    union all
    select cast(country_code as {{ text_type() }}) as series
    from dim_countries
    where invoice_count > 0

),

invoices_by_day as (

    select
        invoice_date,
        {{ sales_measures(['gross_sales', 'net_revenue', 'order_count']) }},
        max(last_load_id) as load_id
    from fct_invoices
    group by 1

),

invoices_by_country_day as (

    select
        invoice_date,
        country_code,
        {{ sales_measures(['gross_sales', 'net_revenue', 'order_count']) }}
    from fct_invoices
    group by 1, 2

),

invoices_by_series_day as (

    select
        invoice_date,
        cast('total' as {{ text_type() }}) as series,
        gross_sales,
        net_revenue,
        order_count
    from invoices_by_day
    union all
    select
        invoice_date,
        cast(country_code as {{ text_type() }}) as series,
        gross_sales,
        net_revenue,
        order_count
    from invoices_by_country_day

),

new_customers_by_country_day as (

    select
        first_purchase_date,
        country_code,
        count(*) as new_customer_count
    from dim_customers
    where has_purchase
    group by 1, 2

),

new_customers_by_series_day as (

    select
        first_purchase_date,
        cast('total' as {{ text_type() }}) as series,
        sum(new_customer_count) as new_customer_count
    from new_customers_by_country_day
    group by 1
    union all
    select
        first_purchase_date,
        cast(country_code as {{ text_type() }}) as series,
        new_customer_count
    from new_customers_by_country_day

),

-- The load a day belongs to: the newest load of its invoices; a day without
-- invoices belongs to the load of the next day with invoices (the load that
-- passed over it).
day_loads as (

    select
        days.date_day,
        coalesce(
            invoices_by_day.load_id,
            min(invoices_by_day.load_id) over (
                order by days.date_day
                rows between 1 following and unbounded following
            )
        ) as load_id
    from days
    left join invoices_by_day
        on days.date_day = invoices_by_day.invoice_date

),

daily as (

    select
        cast('day' as {{ text_type() }}) as period_grain,
        series.series,
        days.date_day as period_start_date,
        days.date_day as period_end_date,
        days.week_start_date,
        days.iso_day_of_week,
        days.is_closing_day as is_closing_period,
        coalesce(invoices_by_series_day.gross_sales, 0) as gross_sales,
        coalesce(invoices_by_series_day.net_revenue, 0) as net_revenue,
        coalesce(invoices_by_series_day.order_count, 0) as order_count,
        coalesce(new_customers_by_series_day.new_customer_count, 0)
            as new_customer_count,
        day_loads.load_id
    from days
    cross join series
    inner join day_loads
        on days.date_day = day_loads.date_day
    left join invoices_by_series_day
        on
            days.date_day = invoices_by_series_day.invoice_date
            and series.series = invoices_by_series_day.series
    left join new_customers_by_series_day
        on
            days.date_day = new_customers_by_series_day.first_purchase_date
            and series.series = new_customers_by_series_day.series

),

-- Whole weeks only: a week cut by the first or the last day of the data
-- would look like a drop.
complete_weeks as (

    select week_start_date
    from days
    group by 1
    having count(*) = 7

),

weekly as (

    select
        cast('week' as {{ text_type() }}) as period_grain,
        daily.series,
        daily.week_start_date as period_start_date,
        max(daily.period_end_date) as period_end_date,
        1 as iso_day_of_week,
        max(case when daily.is_closing_period then 1 else 0 end) = 1
            as is_closing_period,
        sum(daily.gross_sales) as gross_sales,
        sum(daily.net_revenue) as net_revenue,
        sum(daily.order_count) as order_count,
        sum(daily.new_customer_count) as new_customer_count,
        max(daily.load_id) as load_id
    from daily
    inner join complete_weeks
        on daily.week_start_date = complete_weeks.week_start_date
    group by 2, 3

),

periods as (

    select
        period_grain,
        series,
        period_start_date,
        period_end_date,
        iso_day_of_week,
        is_closing_period,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(order_count as integer) as order_count,
        {{ divide_rounded('gross_sales', 'order_count') }}
            as average_order_value,
        cast(new_customer_count as integer) as new_customer_count,
        cast(load_id as integer) as load_id
    from daily
    union all
    select
        period_grain,
        series,
        period_start_date,
        period_end_date,
        iso_day_of_week,
        is_closing_period,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(order_count as integer) as order_count,
        {{ divide_rounded('gross_sales', 'order_count') }}
            as average_order_value,
        cast(new_customer_count as integer) as new_customer_count,
        cast(load_id as integer) as load_id
    from weekly

),

-- The expected value: the median of the same weekday (for weeks: the weeks)
-- of the last kpi_anomaly_baseline_weeks weeks, closing periods left out.
baselines as (

    select
        periods.period_grain,
        periods.series,
        periods.period_start_date,
        count(*) as baseline_period_count,
        {{ percentile_cont('earlier.net_revenue', 0.5) }}
            as expected_net_revenue,
        {{ percentile_cont('earlier.order_count', 0.5) }}
            as expected_order_count,
        {{ percentile_cont('earlier.average_order_value', 0.5) }}
            as expected_average_order_value,
        {{ percentile_cont('earlier.new_customer_count', 0.5) }}
            as expected_new_customer_count
    from periods
    inner join periods as earlier
        on
            periods.period_grain = earlier.period_grain
            and periods.series = earlier.series
            and periods.iso_day_of_week = earlier.iso_day_of_week
            and periods.period_start_date > earlier.period_start_date
            and {{ dbt.dateadd(
                'day',
                -7 * var('kpi_anomaly_baseline_weeks'),
                'periods.period_start_date'
            ) }} <= earlier.period_start_date
            and not earlier.is_closing_period
    group by 1, 2, 3

),

periods_with_baselines as (

    select
        periods.*,
        coalesce(baselines.baseline_period_count, 0) as baseline_period_count,
        {% for kpi in kpis -%}
        cast(
            round(baselines.expected_{{ kpi }}, 2) as numeric(18, 2)
        ) as expected_{{ kpi }},
        {% endfor -%}
        not periods.is_closing_period
        and coalesce(baselines.baseline_period_count, 0)
        >= {{ var('kpi_anomaly_min_baseline_periods') }}
        and greatest(
            periods.order_count,
            coalesce(baselines.expected_order_count, 0)
        ) >= {{ var('kpi_anomaly_min_orders') }} as is_volume_judged
    from periods
    left join baselines
        on
            periods.period_grain = baselines.period_grain
            and periods.series = baselines.series
            and periods.period_start_date = baselines.period_start_date

),

kpi_values as (

    {% for kpi in kpis -%}
    select
        period_grain,
        series,
        cast('{{ kpi }}' as {{ text_type() }}) as kpi,
        cast('{{ directions[kpi] }}' as {{ text_type() }})
            as flagged_direction,
        period_start_date,
        period_end_date,
        is_closing_period,
        cast({{ kpi }} as numeric(18, 2)) as actual_value,
        expected_{{ kpi }} as expected_value,
        cast(baseline_period_count as integer) as baseline_period_count,
        order_count,
        expected_order_count,
        is_volume_judged and expected_{{ kpi }} > 0
        {%- if kpi == 'new_customer_count' %}
        -- a count of its own: its volume is the new customers, not the orders
        and greatest(new_customer_count, expected_new_customer_count)
        >= {{ var('kpi_anomaly_min_orders') }}
        {%- endif %} as is_judged,
        load_id
    from periods_with_baselines
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

scored as (

    select
        *,
        case
            when is_judged
                then {{ divide_rounded(
                    'actual_value', 'expected_value', scale=4
                ) }}
        end as times_expected
    from kpi_values

),

flagged as (

    select
        *,
        coalesce(
            flagged_direction in ('drop', 'both')
            and times_expected <= 1 - {{ var('kpi_anomaly_drop_rate') }},
            false
        ) as is_drop,
        coalesce(
            flagged_direction in ('spike', 'both')
            and times_expected >= 1 + {{ var('kpi_anomaly_spike_rate') }},
            false
        ) as is_spike
    from scored

),

final as (

    select
        period_grain,
        series,
        kpi,
        period_start_date,
        period_end_date,
        actual_value,
        expected_value,
        times_expected,
        baseline_period_count,
        order_count,
        expected_order_count,
        is_closing_period,
        is_judged,
        is_drop,
        is_spike,
        is_drop or is_spike as is_anomaly,
        case
            when is_drop then 'drop'
            when is_spike then 'spike'
        end as anomaly_direction,
        load_id
    from flagged

)

select * from final

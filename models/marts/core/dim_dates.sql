with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

-- Whole calendar years around the data, as BI date tables expect
-- (Power BI's "mark as date table" wants full years without gaps).
bounds as (

    select
        min(invoice_date) as first_invoice_date,
        max(invoice_date) as last_invoice_date,
        cast(
            {{ dbt.date_trunc('year', 'min(invoice_date)') }} as date
        ) as calendar_start_date,
        cast(
            {{ dbt.dateadd(
                'day', -1,
                dbt.dateadd('year', 1, dbt.date_trunc('year', 'max(invoice_date)'))
            ) }} as date
        ) as calendar_end_date
    from fct_invoices

),

digits as (

    {% for digit in range(10) -%}
    select {{ digit }} as digit
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

day_numbers as (

    select
        thousands.digit * 1000
        + hundreds.digit * 100
        + tens.digit * 10
        + units.digit as day_number
    from digits as thousands
    cross join digits as hundreds
    cross join digits as tens
    cross join digits as units

),

days as (

    select
        cast(
            {{ dbt.dateadd(
                'day', 'day_numbers.day_number', 'bounds.calendar_start_date'
            ) }} as date
        ) as date_day,
        bounds.first_invoice_date,
        bounds.last_invoice_date
    from day_numbers
    cross join bounds
    where
        day_numbers.day_number
        <= {{ dbt.datediff(
            'bounds.calendar_start_date', 'bounds.calendar_end_date', 'day'
        ) }}

),

days_described as (

    select
        date_day,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(quarter from date_day) as integer) as calendar_quarter,
        cast(extract(month from date_day) as integer) as month_of_year,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(doy from date_day) as integer) as day_of_year,
        {{ iso_day_of_week('date_day') }} as iso_day_of_week,
        cast(extract(week from date_day) as integer) as iso_week_of_year,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date)
            as week_start_date,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date)
            as month_start_date,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date)
            as quarter_start_date,
        date_day between first_invoice_date and last_invoice_date
            as is_in_data_range
    from days

),

-- A month is complete when the data covers every one of its days; the
-- monthly marts carry this flag so BI tools can leave a partial month out.
days_with_month_coverage as (

    select
        *,
        min(case when is_in_data_range then 1 else 0 end) over (
            partition by month_start_date
        ) = 1 as is_complete_month
    from days_described

),

final as (

    select
        date_day,
        calendar_year,
        calendar_quarter,
        month_of_year,
        case month_of_year
            {% for name in ['January', 'February', 'March', 'April', 'May',
                'June', 'July', 'August', 'September', 'October', 'November',
                'December'] -%}
            when {{ loop.index }} then '{{ name }}'
            {% endfor -%}
        end as month_name,
        {{ year_month_label('date_day') }} as calendar_month,
        day_of_month,
        day_of_year,
        iso_day_of_week,
        case iso_day_of_week
            {% for name in ['Monday', 'Tuesday', 'Wednesday', 'Thursday',
                'Friday', 'Saturday', 'Sunday'] -%}
            when {{ loop.index }} then '{{ name }}'
            {% endfor -%}
        end as day_name,
        iso_week_of_year,
        week_start_date,
        month_start_date,
        quarter_start_date,
        iso_day_of_week >= 6 as is_weekend,
        is_in_data_range,
        is_complete_month
    from days_with_month_coverage

)

select * from final

{#-
    The months an incremental run of a monthly mart recomputes because the new
    loads moved the ends of the data: every data month at or before the first
    invoice date already built, and from the month of the last one on (a load
    can bring earlier months into the range or complete the last month).
    Every month when nothing was built before. Use inside
    `{% if is_incremental() %}`.
-#}
{% macro data_range_end_months(data_months, old_range) -%}
    select {{ data_months }}.month_start_date
    from {{ data_months }}
    cross join {{ old_range }}
    where
        {{ old_range }}.first_invoice_date is null
        or {{ data_months }}.month_start_date <= {{ old_range }}.first_invoice_date
        or {{ data_months }}.month_start_date >= cast(
            {{ dbt.date_trunc('month', old_range ~ '.last_invoice_date') }}
            as date
        )
{%- endmacro %}

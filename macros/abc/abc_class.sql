{#-
    Pareto (ABC) class of a row ranked by a measure, largest first: A while
    the positive measure ranked before it is under abc_class_a_share (80 %)
    of the total, so the row that crosses the line is still A; B up to
    abc_class_b_share (95 %); the rest, and every row whose measure is not
    positive, C. measure_before and total_positive come from the windows of
    abc_positive_running_total.
-#}
{% macro abc_class(measure, measure_before, total_positive) -%}
    cast(
        case
            when {{ measure }} <= 0 then 'C'
            when
                coalesce({{ measure_before }}, 0)
                < {{ var('abc_class_a_share') }} * {{ total_positive }}
                then 'A'
            when
                coalesce({{ measure_before }}, 0)
                < {{ var('abc_class_b_share') }} * {{ total_positive }}
                then 'B'
            else 'C'
        end as {{ dbt.type_string() }}
    )
{%- endmacro %}

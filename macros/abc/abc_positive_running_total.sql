{#-
    The window sums behind abc_class: the positive part of a measure summed
    over the rows ranked before this one (order_by, largest first), or over
    all rows when before=false.
-#}
{% macro abc_positive_running_total(measure, order_by, before=true) -%}
    sum(
        case
            when {{ measure }} > 0
                then {{ measure }}
            else 0
        end
    ) over (
        {%- if before %}
        order by {{ order_by }}
        rows between unbounded preceding and 1 preceding
        {%- endif %}
    )
{%- endmacro %}

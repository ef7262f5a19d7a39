{#-
    Quintile score 1..5: 1 + the number of edges strictly below the value
    (5 - that number with reverse=true, for recency). Ties share a score.
-#}
{% macro rfm_quantile_score(value, edges, reverse=false) -%}
    {{ '5 -' if reverse else '1 +' }} (
        {%- for percent in [20, 40, 60, 80] %}
        case when {{ value }} > {{ edges }}_p{{ percent }} then 1 else 0 end
        {{- ' +' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

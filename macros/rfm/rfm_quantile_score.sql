{#-
    Quintile score 1..5 of value against the edges {{ edges }}_p20 .. _p80
    (columns from rfm_quantile_edges): 1 + the number of edges strictly
    below the value. A value equal to an edge stays in the lower bin, and
    the score depends on the value only, so tied values always share a
    score (when several edges are equal, some scores are skipped).
    reverse=true gives 5 - that number, for recency (recent = 5).
-#}
{% macro rfm_quantile_score(value, edges, reverse=false) -%}
    {{ '5 -' if reverse else '1 +' }} (
        {%- for percent in [20, 40, 60, 80] %}
        case when {{ value }} > {{ edges }}_p{{ percent }} then 1 else 0 end
        {{- ' +' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

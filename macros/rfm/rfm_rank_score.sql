{#-
    Rank-based quintile score 1..5: ntile(5) by value, then tie_breaker,
    optionally per partition.
-#}
{% macro rfm_rank_score(value, tie_breaker, partition_by=none) -%}
    ntile(5) over (
        {%- if partition_by is not none %}
        partition by {{ partition_by }}
        {%- endif %}
        order by {{ value }}, {{ tie_breaker }}
    )
{%- endmacro %}

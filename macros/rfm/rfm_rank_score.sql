{#-
    Rank-based quintile score 1..5: rows ranked by value, then tie_breaker,
    and cut into five groups whose sizes differ by at most one (the first
    groups get the extra rows), as ntile(5) does on DuckDB and PostgreSQL.
    Tied values can land in different groups; the tie-breaker makes that
    deterministic. partition_by (optional) scores each partition apart.
-#}
{% macro rfm_rank_score(value, tie_breaker, partition_by=none) -%}
    ntile(5) over (
        {%- if partition_by is not none %}
        partition by {{ partition_by }}
        {%- endif %}
        order by {{ value }}, {{ tie_breaker }}
    )
{%- endmacro %}

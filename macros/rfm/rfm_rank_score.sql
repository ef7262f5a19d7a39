{#-
    Rank-based quintile score 1..5, as the published notebook recipe cuts
    it (pandas qcut of the ranks into five): rows ranked by value, then
    tie_breaker (1..n), and a row scores one more for each quintile edge
    1 + (n - 1) x k / 5 (k = 1..4) its rank lies above, in whole numbers:
    5 x (rank - 1) > k x (n - 1). Optionally per partition.
-#}
{% macro rfm_rank_score(value, tie_breaker, partition_by=none) -%}
    {%- set partition -%}
        {%- if partition_by is not none %}partition by {{ partition_by }}{% endif -%}
    {%- endset -%}
    (
        1
        {%- for edge in range(1, 5) %}
        + case
            when
                5 * (
                    row_number() over (
                        {{ partition }}
                        order by {{ value }}, {{ tie_breaker }}
                    ) - 1
                )
                > {{ edge }} * (count(*) over ({{ partition }}) - 1)
                then 1
            else 0
        end
        {%- endfor %}
    )
{%- endmacro %}

{#-
    r_score, f_score and m_score of measured customers against the quintile
    edges: the one home of the RFM scoring rule (current and history marts).
    The rule: macros/_macros.yml.
-#}
{% macro rfm_scores(measured, edges, rank_partition_by=none, frequency_binning=none) -%}
    {{ rfm_quantile_score(
        measured ~ '.recency_days', edges ~ '.recency', reverse=true
    ) }} as r_score,
    {% if (frequency_binning or rfm_frequency_binning()) == 'rank' -%}
    {{ rfm_rank_score(
        measured ~ '.frequency',
        measured ~ '.customer_id',
        partition_by=rank_partition_by
    ) }} as f_score,
    {%- else -%}
    {{ rfm_quantile_score(measured ~ '.frequency', edges ~ '.frequency') }}
        as f_score,
    {%- endif %}
    case
        when {{ measured }}.monetary <= 0 then 1
        else {{ rfm_quantile_score(measured ~ '.monetary', edges ~ '.monetary') }}
    end as m_score
{%- endmacro %}

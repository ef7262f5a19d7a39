{#-
    The three RFM score columns, r_score, f_score and m_score, of a relation
    (alias measured) with recency_days, frequency, monetary and customer_id,
    against the quintile edges of another (alias edges, columns from
    rfm_quantile_edges). One place for the scoring rule, used by the current
    scores (mart_customer_rfm) and by every month-end snapshot
    (mart_customer_segment_history):
    - recency: quintile score, reversed (recent = 5);
    - frequency: quintile score, or rank-based when the var
      rfm_frequency_binning is rank (ranked within rank_partition_by, if
      given, ties broken by customer_id);
    - monetary: quintile score, except that a customer whose cancellations
      cancel their purchases (net revenue <= 0) scores 1 whatever the edges.
-#}
{% macro rfm_scores(measured, edges, rank_partition_by=none) -%}
    {{ rfm_quantile_score(
        measured ~ '.recency_days', edges ~ '.recency', reverse=true
    ) }} as r_score,
    {% if rfm_frequency_binning() == 'rank' -%}
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

{#-
    True when the keys that new loads touch (affected_keys over `relation`)
    are more than var incremental_full_rebuild_share of the keys the model's
    own table holds: the model then recomputes every key, skipping the key
    filter. Asked of the warehouse when the model is compiled for an
    incremental run; false otherwise (a full build needs no filter). Why:
    macros/_macros.yml.
-#}
{% macro affected_share_exceeded(relation, expression, key, load_column='last_load_id') -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set share = var('incremental_full_rebuild_share') | float -%}
    {%- set counted = run_query(
        'select (select count(*) from ('
        ~ affected_keys(relation, expression, load_column)
        ~ ') as affected) as affected_count, (select count(distinct '
        ~ key ~ ') from ' ~ this ~ ') as key_count'
    ) -%}
    {%- set affected_count = counted.rows[0][0] | int -%}
    {%- set key_count = counted.rows[0][1] | int -%}
    {%- set exceeded = affected_count > share * key_count -%}
    {%- if exceeded -%}
        {{ log(
            this.identifier ~ ': the new loads touch ' ~ affected_count
            ~ ' of ' ~ key_count ~ ' ' ~ key ~ ' values (more than '
            ~ share ~ ' of them): every one is recomputed',
            info=true
        ) }}
    {%- endif -%}
    {{ return(exceeded) }}
{%- endmacro %}

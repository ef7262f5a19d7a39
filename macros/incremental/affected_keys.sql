{#-
    The one rule of what an incremental run recomputes: the distinct values
    of `expression` over the rows of `relation` from loads newer than the
    newest load the model's own table holds. A select; use inside
    `{% if is_incremental() %}`. Why: macros/_macros.yml.
-#}
{% macro affected_keys(relation, expression, load_column='last_load_id') -%}
    select distinct {{ expression }} as affected_key
    from {{ relation }}
    where {{ load_column }} > {{ new_loads_after('last_load_id') }}
{%- endmacro %}

{#-
    A predicate for a model's where clause: in an incremental run, `column`
    is one of affected_keys(relation, expression); in a full build, true.
-#}
{% macro in_affected_keys(column, relation, expression, load_column='last_load_id') -%}
    {%- if is_incremental() -%}
        {{ column }} in (
            select affected.affected_key
            from (
                {{ affected_keys(relation, expression, load_column) }}
            ) as affected
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
    The rows of a source table, or no rows with the same columns when the
    table does not exist yet (a source system that has never been loaded).
    A select statement for a staging model's import CTE.
-#}
{% macro source_or_empty(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {#- A unit test replaces the source with its fixture rows: no check. -#}
    {%- if execute and model.resource_type != 'unit_test'
        and load_relation(relation) is none -%}
    select
        {%- for column in columns %}
        cast(null as {{ dbt.type_string() if column not in ('source_row_number', 'load_id', 'loaded_at') else ('timestamp' if column == 'loaded_at' else 'integer') }}) as {{ column }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    where 1 = 0
    {%- else -%}
    select
        {%- for column in columns %}
        {{ column }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ relation }}
    {%- endif -%}
{%- endmacro %}

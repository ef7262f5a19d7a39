{#-
    on-run-end: ANALYZE every table this run built, on PostgreSQL, so the
    first dashboard queries are planned on the new data. No-op on DuckDB.
    Why and how: macros/_macros.yml.
-#}
{% macro analyze_built_relations(results) -%}
    {{ return(adapter.dispatch('analyze_built_relations', 'retail_warehouse')(results)) }}
{%- endmacro %}

{% macro default__analyze_built_relations(results) -%}
    {{ return('') }}
{%- endmacro %}

{% macro postgres__analyze_built_relations(results) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set statements = [] -%}
    {%- for result in results -%}
        {%- set node = result.node -%}
        {%- if node.resource_type == 'model' and result.status == 'success'
              and node.config.materialized in ('table', 'incremental') -%}
            {%- set relation = api.Relation.create(
                database=node.database, schema=node.schema, identifier=node.alias
            ) -%}
            {%- do statements.append('analyze ' ~ relation) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ log('analyze: ' ~ statements | length ~ ' tables', info=true) }}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

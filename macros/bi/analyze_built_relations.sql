{#-
    Refreshes the planner's statistics of every table this invocation built
    (models materialized as table or incremental that succeeded), run from
    on-run-end, so the first dashboard queries after a build are planned on
    the new data rather than waiting for autovacuum.

    PostgreSQL (and dbt-pybridge): ANALYZE per table. DuckDB keeps its
    statistics up to date as tables are written, so the default is a no-op.
    Returns the statements; dbt runs them as the hook's SQL.
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

{#-
    Writes the descriptions of the Python models built in this run as table
    and column comments, run from on-run-end. persist_docs is on for every
    model, and dbt-pybridge 0.2.3 does issue the COMMENT statements after a
    Python model, but never commits them, so on PostgreSQL the ml tables
    would reach BI tools without descriptions. Harmless once the adapter
    commits them: the same comments are written again.

    PostgreSQL only (dbt-pybridge dispatches to postgres__); on DuckDB
    dbt-duckdb's own persist_docs works, and the default is a no-op.
    Returns the statements; dbt runs them as the hook's SQL.
-#}
{% macro persist_python_model_docs(results) -%}
    {{ return(adapter.dispatch('persist_python_model_docs', 'retail_warehouse')(results)) }}
{%- endmacro %}

{% macro default__persist_python_model_docs(results) -%}
    {{ return('') }}
{%- endmacro %}

{% macro postgres__persist_python_model_docs(results) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set statements = [] -%}
    {%- for result in results -%}
        {%- set node = result.node -%}
        {%- if node.resource_type == 'model' and node.language == 'python'
              and result.status == 'success' -%}
            {%- set relation = api.Relation.create(
                database=node.database, schema=node.schema, identifier=node.alias
            ) -%}
            {%- set persist = node.config.persist_docs or {} -%}
            {%- if persist.get('relation') and node.description -%}
                {%- do statements.append(
                    'comment on table ' ~ relation ~ ' is '
                    ~ postgres_escape_comment(node.description)
                ) -%}
            {%- endif -%}
            {%- if persist.get('columns') -%}
                {%- set existing = adapter.get_columns_in_relation(relation)
                    | map(attribute='name') | list -%}
                {%- for column in node.columns.values() -%}
                    {%- if column.name in existing and column.description -%}
                        {%- do statements.append(
                            'comment on column ' ~ relation ~ '.' ~ column.name ~ ' is '
                            ~ postgres_escape_comment(column.description)
                        ) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

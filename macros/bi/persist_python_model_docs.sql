{#-
    on-run-end: the Python models' descriptions as table and column comments
    on PostgreSQL (dbt-pybridge 0.2.3 does not commit them). No-op on DuckDB.
    Why: macros/_macros.yml.
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
    {%- for node, relation in built_python_models(results) -%}
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
    {%- endfor -%}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

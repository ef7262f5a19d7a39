{#-
    on-run-end: give the Python models' columns the data_type their YAML
    declares (money numeric(18, 2), counts integer...), on every engine: the
    adapters infer the types from the returned DataFrame. Why and how:
    macros/_macros.yml.
-#}
{% macro declare_python_model_types(results) -%}
    {{ return(adapter.dispatch('declare_python_model_types', 'retail_warehouse')(results)) }}
{%- endmacro %}

{% macro python_model_typed_columns(results) -%}
    {%- set tables = [] -%}
    {%- for node, relation in built_python_models(results) -%}
        {%- set columns = [] -%}
        {%- for column in node.columns.values() if column.data_type -%}
            {%- do columns.append(
                'alter column ' ~ column.name ~ ' type ' ~ column.data_type
                ~ ' using ' ~ typed_cast(column.name, column.data_type)
            ) -%}
        {%- endfor -%}
        {%- if columns -%}
            {%- do tables.append((relation, columns)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(tables) }}
{%- endmacro %}

{% macro typed_cast(column, data_type) -%}
    {%- if data_type.strip().lower().startswith(('numeric', 'decimal')) -%}
        cast(cast({{ column }} as numeric(38, 10)) as {{ data_type }})
    {%- else -%}
        cast({{ column }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{% macro default__declare_python_model_types(results) -%}
    {%- set statements = [] -%}
    {%- for relation, columns in python_model_typed_columns(results) -%}
        {%- for clause in columns -%}
            {%- do statements.append('alter table ' ~ relation ~ ' ' ~ clause) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

{% macro postgres__declare_python_model_types(results) -%}
    {%- set statements = [] -%}
    {%- for relation, columns in python_model_typed_columns(results) -%}
        {%- do statements.append(
            'alter table ' ~ relation ~ '\n    ' ~ columns | join(',\n    ')
        ) -%}
    {%- endfor -%}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

{% macro spark__declare_python_model_types(results) -%}
    {{ return('') }}
{%- endmacro %}

{#- The not-null, primary-key and check constraints of a model's enforced
    contract hold: one row per broken rule (the column, the key's columns or the
    check's expression, and how many rows break it). DuckDB and PostgreSQL
    enforce these constraints as the table is written, so a build there fails
    at the model and this test is not needed; dbt-spark declares none on parquet
    tables, so the test runs on Spark only (var constraints_tested, default: the
    target is Spark). The rules are read from the model's YAML (its
    constraints), never repeated here (docs/decisions.md, "Constraints instead
    of repeated tests"). A check passes on a row where its expression is null,
    as in the engines that enforce it. -#}
{% test constraints_hold(model) %}

{{ config(enabled=var('constraints_tested', target.type == 'sparkpy')) }}

{%- set not_null_columns = [] -%}
{%- set key_columns = [] -%}
{%- set checks = [] -%}
{%- if execute -%}
    {%- set node = graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'model')
        | selectattr('alias', 'equalto', model.identifier)
        | selectattr('schema', 'equalto', model.schema)
        | first -%}
    {%- for constraint in node.get('constraints', []) -%}
        {%- if constraint.type == 'primary_key' -%}
            {%- do key_columns.extend(constraint.columns) -%}
        {%- elif constraint.type == 'check' -%}
            {%- do checks.append(constraint.expression) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for column in node.get('columns', {}).values() -%}
        {%- for constraint in column.constraints -%}
            {%- if constraint.type == 'primary_key' -%}
                {%- do key_columns.append(column.name) -%}
            {%- elif constraint.type == 'not_null' -%}
                {%- do not_null_columns.append(column.name) -%}
            {%- elif constraint.type == 'check' -%}
                {%- do checks.append(constraint.expression) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not not_null_columns and not key_columns and not checks -%}
        {{ exceptions.raise_compiler_error(
            "constraints_hold on " ~ node.get('name', model) ~ ": the model declares no not-null, primary-key or check constraint"
        ) }}
    {%- endif -%}
{%- endif -%}

with

broken as (

    select 'no key' as rule, '' as columns_named, 0 as rows_breaking
    where 1 = 0
    {%- for column in (key_columns + not_null_columns) | unique %}

    union all

    select
        'not null' as rule,
        '{{ column }}' as columns_named,
        count(*) as rows_breaking
    from {{ model }}
    where {{ column }} is null
    {%- endfor %}
    {%- if key_columns %}

    union all

    select
        'primary key' as rule,
        '{{ key_columns | join(", ") }}' as columns_named,
        count(*) as rows_breaking
    from (
        select {{ key_columns | join(', ') }}
        from {{ model }}
        group by {{ key_columns | join(', ') }}
        having count(*) > 1
    ) as repeated_keys
    {%- endif %}
    {%- for expression in checks %}

    union all

    select
        'check' as rule,
        '{{ expression | trim | replace("'", "") | replace("\n", " ") }}' as columns_named,
        count(*) as rows_breaking
    from {{ model }}
    where not ({{ expression }})
    {%- endfor %}

)

select * from broken where rows_breaking > 0

{% endtest %}

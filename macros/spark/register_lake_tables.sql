{#-
    on-run-start on Spark: declare the raw tables the loader wrote as parquet
    (RW_SPARK_DIR/lake/<raw schema>/<table>/) as external tables of the raw
    schema, so source() reads them. A no-op on the other targets. Why:
    macros/_macros.yml.
-#}
{% macro register_lake_tables() -%}
    {{ return(adapter.dispatch('register_lake_tables', 'retail_warehouse')()) }}
{%- endmacro %}

{% macro default__register_lake_tables() -%}
    {{ return('') }}
{%- endmacro %}

{% macro spark__register_lake_tables() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set schema = schema_prefix() ~ 'raw' -%}
    {%- set folder = spark_lake_location() ~ '/' ~ schema -%}
    {%- do run_query('create schema if not exists ' ~ schema) -%}
    {%- do run_query(
        'create table if not exists ' ~ schema ~ '.rw_lake_tables'
        ~ ' (schema_name string, table_name string) using parquet'
        ~ " location '" ~ folder ~ "/rw_lake_tables'"
    ) -%}
    {%- do run_query('refresh table ' ~ schema ~ '.rw_lake_tables') -%}
    {%- set listed = run_query(
        'select table_name from ' ~ schema ~ '.rw_lake_tables order by 1'
    ) -%}
    {%- for row in listed.rows -%}
        {%- set table = schema ~ '.' ~ row[0] -%}
        {%- do run_query('drop table if exists ' ~ table) -%}
        {%- do run_query(
            'create table ' ~ table ~ " using parquet location '"
            ~ folder ~ '/' ~ row[0] ~ "'"
        ) -%}
    {%- endfor -%}
    {{ log('raw tables declared from ' ~ folder ~ ': '
           ~ (listed.columns[0].values() | join(', ') or 'none loaded yet'), info=true) }}
    {{ return('') }}
{%- endmacro %}

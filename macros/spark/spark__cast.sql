{#-
    dbt's cast on Spark, with a bare varchar read as string: contracts and
    unit tests cast to the YAML data_type (varchar, as DuckDB and PostgreSQL
    report it), which Spark refuses without a length. Why: macros/_macros.yml.
-#}
{% macro spark__cast(field, type) -%}
    {%- set spark_type = 'string' if (type | string | trim | lower) == 'varchar' else type -%}
    cast({{ field }} as {{ spark_type }})
{%- endmacro %}

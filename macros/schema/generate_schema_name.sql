{#-
    Schemas named by layer, the same on every target (raw, staging,
    intermediate, marts, ml), with the optional schema prefix in front;
    not dbt's <target schema>_<schema>.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = schema_prefix() -%}
    {%- if custom_schema_name is none -%}
        {{ prefix }}{{ target.schema | trim }}
    {%- else -%}
        {{ prefix }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

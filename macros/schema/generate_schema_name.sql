{#-
    Schemas are named by layer, the same on every target: raw, staging,
    intermediate, marts, ml. dbt's default would glue the target schema in
    front (main_marts, public_marts); here a model's +schema is used as it
    is, with only the optional schema_prefix var in front
    (schema_prefix="dev_alice_" gives dev_alice_marts), for personal copies
    that share one PostgreSQL database. A node without +schema goes to the
    target's schema, prefixed the same way.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = schema_prefix() -%}
    {%- if custom_schema_name is none -%}
        {{ prefix }}{{ target.schema | trim }}
    {%- else -%}
        {{ prefix }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{#-
    Schemas named by layer, the same on every target (raw, staging,
    intermediate, marts, ml), with the optional schema prefix in front;
    not dbt's <target schema>_<schema>. Models also get the build's shadow
    suffix (layer_schema_name); seeds stay in raw. Why: macros/_macros.yml.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set layer = (
        target.schema if custom_schema_name is none else custom_schema_name
    ) | trim -%}
    {%- if node is not none and node.resource_type == 'seed' -%}
        {{ schema_prefix() }}{{ layer }}
    {%- else -%}
        {{ layer_schema_name(layer) }}
    {%- endif -%}
{%- endmacro %}

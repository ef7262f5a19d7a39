{#-
    Suffix of the schemas this build writes models to (var
    build_schema_suffix, else RW_BUILD_SCHEMA_SUFFIX, else empty); __shadow
    in a published build on PostgreSQL. Why: macros/_macros.yml.
-#}
{% macro build_schema_suffix() -%}
    {{ return(var('build_schema_suffix', env_var('RW_BUILD_SCHEMA_SUFFIX', '')) | trim) }}
{%- endmacro %}

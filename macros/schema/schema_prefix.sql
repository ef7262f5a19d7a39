{#-
    The prefix put in front of every schema name: the var schema_prefix when
    given, else the environment variable RW_SCHEMA_PREFIX (which the loader
    reads too), else nothing.
-#}
{% macro schema_prefix() -%}
    {{ return(var('schema_prefix', env_var('RW_SCHEMA_PREFIX', '')) | trim) }}
{%- endmacro %}

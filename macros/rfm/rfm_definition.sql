{#-
    The var rfm_definition, checked: 'warehouse' or 'classic'; anything else
    fails at compile time. macros/_macros.yml.
-#}
{% macro rfm_definition() -%}
    {%- set value = var('rfm_definition', 'warehouse') | string | trim | lower -%}
    {%- if value not in ['warehouse', 'classic'] -%}
        {{ exceptions.raise_compiler_error(
            "var rfm_definition must be 'warehouse' or 'classic', got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

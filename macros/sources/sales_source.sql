{#-
    The source system the sales core is built from: the var sales_source
    (online_retail, the default, or tpch). One warehouse builds one source;
    two sources live side by side under two schema prefixes (docs/sources.md).
    Any other value stops the build with the list of known ones.
-#}
{% macro sales_source() -%}
    {%- set known = ['online_retail', 'tpch'] -%}
    {%- set chosen = var(
        'sales_source', env_var('RW_SALES_SOURCE', 'online_retail')
    ) | trim -%}
    {%- if chosen not in known -%}
        {{ exceptions.raise_compiler_error(
            "var sales_source is '" ~ chosen ~ "'; known sources: "
            ~ known | join(', ')
        ) }}
    {%- endif -%}
    {{ return(chosen) }}
{%- endmacro %}

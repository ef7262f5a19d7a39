{#-
    The roles a location plays in the location marts, as a list: where
    customers buy (every source) and, for sources with suppliers
    (using_suppliers), where the goods come from.
-#}
{% macro location_roles() -%}
    {%- set roles = ['customer'] -%}
    {%- if var('using_suppliers', sales_source() == 'tpch') -%}
        {%- do roles.append('supplier') -%}
    {%- endif -%}
    {{ return(roles) }}
{%- endmacro %}

{#-
    A stable text key: md5 of the columns joined by '-', nulls as '_null_'.
-#}
{% macro surrogate_key(field_list) -%}
    md5(
        {%- for field in field_list %}
        coalesce(cast({{ field }} as {{ dbt.type_string() }}), '_null_')
        {%- if not loop.last %} || '-' || {% endif -%}
        {% endfor %}
    )
{%- endmacro %}

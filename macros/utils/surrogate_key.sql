{#-
    A stable text key from several columns: md5 of the values joined by '-',
    with nulls written as '_null_' so (null, 'a') and ('a', null) differ.
    md5() returns the same lower-case hex string on DuckDB and PostgreSQL.
-#}
{% macro surrogate_key(field_list) -%}
    md5(
        {%- for field in field_list %}
        coalesce(cast({{ field }} as {{ dbt.type_string() }}), '_null_')
        {%- if not loop.last %} || '-' || {% endif -%}
        {% endfor %}
    )
{%- endmacro %}

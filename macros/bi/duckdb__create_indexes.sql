{#-
    The `indexes:` a mart's YAML declares are for BI on PostgreSQL (dbt's own
    create_indexes builds them there). On DuckDB they are skipped: its zone
    maps serve those filters, and ART indexes would only slow the build.
-#}
{% macro duckdb__create_indexes(relation) -%}
{%- endmacro %}

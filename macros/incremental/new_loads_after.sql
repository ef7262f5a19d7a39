{#-
    The load id after which an incremental run reprocesses rows: the newest
    load in {{ this }} minus var incremental_lookback_loads. Use inside
    `{% if is_incremental() %}`.
-#}
{% macro new_loads_after(load_column='load_id') -%}
    (
        select coalesce(max({{ load_column }}), 0)
            - {{ var('incremental_lookback_loads') }}
        from {{ this }}
    )
{%- endmacro %}

{#-
    The load id after which an incremental run reprocesses rows: the newest
    load already in {{ this }} (column load_column), minus the lookback of
    var incremental_lookback_loads (default 0). Raw data is append-only and
    every row carries its load id, so a load newer than this bound holds all
    that changed; the lookback re-does a few earlier loads as well, for
    safety after a manual repair. Use inside `{% if is_incremental() %}`.
-#}
{% macro new_loads_after(load_column='load_id') -%}
    (
        select coalesce(max({{ load_column }}), 0)
            - {{ var('incremental_lookback_loads') }}
        from {{ this }}
    )
{%- endmacro %}

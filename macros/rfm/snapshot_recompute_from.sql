{#-
    The first monthly snapshot an incremental run of a snapshot-grained
    model recomputes: the month of the earliest row of a new load in
    `relation` (every later snapshot counts it), or the table's last
    snapshot (its as-of date moves as the data grows), whichever is
    earlier; earlier snapshots cannot change. A select of one
    month_start_date; use inside `{% if is_incremental() %}`.
-#}
{% macro snapshot_recompute_from(relation, month_expression) -%}
    select
        least(
            coalesce(
                (
                    select min(affected.affected_key)
                    from (
                        {{ affected_keys(relation, month_expression) }}
                    ) as affected
                ),
                max(month_start_date)
            ),
            max(month_start_date)
        ) as month_start_date
    from {{ this }}
{%- endmacro %}

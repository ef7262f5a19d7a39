-- TPC-H: every raw lineitem is counted exactly once, as kept or excluded
-- with a reason, and mart_line_accounting's line count and amount equal
-- those computed straight from the raw text (amount: extended price x
-- (1 - discount), to the cent per line). Returns what disagrees.
{{ config(enabled=sales_source() == 'tpch') }}

with

raw_lines as (

    select * from {{ source('tpch', 'tpch_lineitem') }}

),

int_source_lines_classified as (

    select * from {{ ref('int_source_lines_classified') }}

),

mart_line_accounting as (

    select * from {{ ref('mart_line_accounting') }}

),

raw_keys as (

    select
        load_id,
        source_row_number,
        round(
            cast(l_extendedprice as numeric(18, 2))
            * (1 - cast(l_discount as numeric(4, 2))),
            2
        ) as amount
    from raw_lines

),

outcome_counts as (

    select
        load_id,
        source_row_number,
        count(*) as outcome_count
    from int_source_lines_classified
    group by 1, 2

),

line_problems as (

    select
        coalesce(raw_keys.load_id, outcome_counts.load_id) as load_id,
        coalesce(
            raw_keys.source_row_number, outcome_counts.source_row_number
        ) as source_row_number,
        case
            when outcome_counts.load_id is null then 'raw line lost'
            when raw_keys.load_id is null then 'line not in raw'
            else 'line counted more than once'
        end as problem
    from raw_keys
    full outer join outcome_counts
        on
            raw_keys.load_id = outcome_counts.load_id
            and raw_keys.source_row_number = outcome_counts.source_row_number
    where
        raw_keys.load_id is null
        or outcome_counts.load_id is null
        or outcome_counts.outcome_count != 1

),

raw_totals as (

    select
        count(*) as line_count,
        sum(amount) as amount
    from raw_keys

),

accounted_totals as (

    select
        sum(line_count) as line_count,
        sum(amount) as amount
    from mart_line_accounting

),

total_problems as (

    select
        cast(null as integer) as load_id,
        cast(null as bigint) as source_row_number,
        'totals differ from raw' as problem
    from accounted_totals
    cross join raw_totals
    where
        accounted_totals.line_count != raw_totals.line_count
        or accounted_totals.amount != raw_totals.amount

),

final as (

    select * from line_problems
    union all
    select * from total_problems

)

select * from final

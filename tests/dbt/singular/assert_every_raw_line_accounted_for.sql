-- Every raw row is in exactly one of int_invoice_lines_cleaned and
-- int_invoice_lines_excluded, and nothing else is in them. Returns the rows
-- that break this, with what went wrong.
with

raw_lines as (

    select
        load_id,
        source_row_number
    from {{ source('online_retail', 'invoice_lines') }}

),

int_invoice_lines_cleaned as (

    select * from {{ ref('int_invoice_lines_cleaned') }}

),

int_invoice_lines_excluded as (

    select * from {{ ref('int_invoice_lines_excluded') }}

),

outcomes as (

    select
        load_id,
        source_row_number,
        'included' as outcome
    from int_invoice_lines_cleaned
    union all
    select
        load_id,
        source_row_number,
        exclusion_reason as outcome
    from int_invoice_lines_excluded

),

outcome_counts as (

    select
        load_id,
        source_row_number,
        count(*) as outcome_count
    from outcomes
    group by 1, 2

),

final as (

    select
        coalesce(raw_lines.load_id, outcome_counts.load_id) as load_id,
        coalesce(
            raw_lines.source_row_number, outcome_counts.source_row_number
        ) as source_row_number,
        case
            when outcome_counts.load_id is null then 'raw line lost'
            when raw_lines.load_id is null then 'line not in raw'
            else 'line counted more than once'
        end as problem
    from raw_lines
    full outer join outcome_counts
        on
            raw_lines.load_id = outcome_counts.load_id
            and raw_lines.source_row_number = outcome_counts.source_row_number
    where
        raw_lines.load_id is null
        or outcome_counts.load_id is null
        or outcome_counts.outcome_count != 1

)

select * from final

-- Raw = included + excluded, per reason and in total: the line counts and
-- amounts in mart_line_accounting equal those counted straight from raw
-- (amounts exact, so equal to the penny and below). Returns the outcomes or
-- the total that disagree.
with

raw_lines as (

    select * from {{ source('online_retail', 'invoice_lines') }}

),

int_invoice_lines_classified as (

    select * from {{ ref('int_invoice_lines_classified') }}

),

mart_line_accounting as (

    select * from {{ ref('mart_line_accounting') }}

),

raw_totals as (

    select
        'all raw lines' as outcome,
        count(*) as line_count,
        sum(
            cast(quantity as integer) * cast(price as numeric(18, 3))
        ) as amount
    from raw_lines

),

accounted_totals as (

    select
        'all raw lines' as outcome,
        sum(line_count) as line_count,
        sum(amount) as amount
    from mart_line_accounting

),

classified_by_outcome as (

    select
        coalesce(exclusion_reason, 'included') as outcome,
        count(*) as line_count,
        sum(line_amount) as amount
    from int_invoice_lines_classified
    group by 1

),

per_outcome as (

    select
        mart_line_accounting.outcome,
        mart_line_accounting.line_count as accounted_line_count,
        coalesce(classified_by_outcome.line_count, 0) as expected_line_count,
        mart_line_accounting.amount as accounted_amount,
        coalesce(classified_by_outcome.amount, 0) as expected_amount
    from mart_line_accounting
    left join classified_by_outcome
        on mart_line_accounting.outcome = classified_by_outcome.outcome

),

total as (

    select
        accounted_totals.outcome,
        accounted_totals.line_count as accounted_line_count,
        raw_totals.line_count as expected_line_count,
        accounted_totals.amount as accounted_amount,
        raw_totals.amount as expected_amount
    from accounted_totals
    cross join raw_totals

),

final as (

    select * from per_outcome
    union all
    select * from total

)

select * from final
where
    accounted_line_count != expected_line_count
    or accounted_amount != expected_amount

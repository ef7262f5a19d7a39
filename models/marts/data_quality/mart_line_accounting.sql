with

stg_online_retail__invoice_lines as (

    select * from {{ ref('stg_online_retail__invoice_lines') }}

),

int_invoice_lines_cleaned as (

    select * from {{ ref('int_invoice_lines_cleaned') }}

),

int_invoice_lines_excluded as (

    select * from {{ ref('int_invoice_lines_excluded') }}

),

exclusion_reasons as (

    select * from {{ ref('exclusion_reasons') }}

),

raw_totals as (

    select count(*) as raw_line_count
    from stg_online_retail__invoice_lines

),

included_totals as (

    select
        'included' as outcome,
        0 as rule_order,
        'Kept: goes to fct_invoice_lines and every mart' as description,
        count(*) as line_count,
        sum(quantity) as units,
        sum(line_amount) as amount
    from int_invoice_lines_cleaned

),

excluded_totals as (

    select
        exclusion_reason,
        count(*) as line_count,
        sum(quantity) as units,
        sum(line_amount) as amount
    from int_invoice_lines_excluded
    group by 1

),

reasons_totalled as (

    select
        exclusion_reasons.exclusion_reason as outcome,
        exclusion_reasons.rule_order,
        exclusion_reasons.description,
        coalesce(excluded_totals.line_count, 0) as line_count,
        coalesce(excluded_totals.units, 0) as units,
        coalesce(excluded_totals.amount, 0) as amount
    from exclusion_reasons
    left join excluded_totals
        on exclusion_reasons.exclusion_reason = excluded_totals.exclusion_reason

),

outcomes as (

    select * from included_totals
    union all
    select * from reasons_totalled

),

final as (

    select
        cast(outcomes.outcome as {{ dbt.type_string() }}) as outcome,
        cast(outcomes.rule_order as integer) as rule_order,
        cast(outcomes.description as {{ dbt.type_string() }}) as description,
        cast(outcomes.line_count as bigint) as line_count,
        cast(coalesce(outcomes.units, 0) as bigint) as units,
        cast(coalesce(outcomes.amount, 0) as numeric(18, 3)) as amount,
        {{ divide_rounded(
            '100 * outcomes.line_count', 'raw_totals.raw_line_count', 4, 9
        ) }} as share_of_raw_lines_pct,
        outcomes.outcome = 'included' as is_included
    from outcomes
    cross join raw_totals

)

select * from final

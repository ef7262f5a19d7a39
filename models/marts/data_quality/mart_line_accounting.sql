with

int_source_lines_classified as (

    select * from {{ ref('int_source_lines_classified') }}

),

int_exclusion_reasons_selected as (

    select * from {{ ref('int_exclusion_reasons_selected') }}

),

raw_totals as (

    select count(*) as raw_line_count
    from int_source_lines_classified

),

included_totals as (

    select
        'included' as outcome,
        0 as rule_order,
        'Kept: goes to fct_invoice_lines and every mart' as description,
        count(*) as line_count,
        sum(quantity) as units,
        sum(amount) as amount
    from int_source_lines_classified
    where is_included

),

excluded_totals as (

    select
        exclusion_reason,
        count(*) as line_count,
        sum(quantity) as units,
        sum(amount) as amount
    from int_source_lines_classified
    where not is_included
    group by 1

),

reasons_totalled as (

    select
        int_exclusion_reasons_selected.exclusion_reason as outcome,
        int_exclusion_reasons_selected.rule_order,
        int_exclusion_reasons_selected.description,
        coalesce(excluded_totals.line_count, 0) as line_count,
        coalesce(excluded_totals.units, 0) as units,
        coalesce(excluded_totals.amount, 0) as amount
    from int_exclusion_reasons_selected
    left join excluded_totals
        on
            int_exclusion_reasons_selected.exclusion_reason
            = excluded_totals.exclusion_reason

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
            'outcomes.line_count', 'raw_totals.raw_line_count', 6, 9
        ) }} as raw_line_share,
        outcomes.outcome = 'included' as is_included
    from outcomes
    cross join raw_totals

)

select * from final

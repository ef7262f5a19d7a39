{#-
    One row per exclusion reason of the source chosen by sales_source (the
    seed exclusion_reasons for Online Retail II, tpch_exclusion_reasons for
    TPC-H), so the raw-line accounting lists every rule, used or not.
-#}
with

{% if sales_source() == 'tpch' -%}

reasons as (

    select * from {{ ref('tpch_exclusion_reasons') }}

),

{%- else %}

reasons as (

    select * from {{ ref('exclusion_reasons') }}

),

{%- endif %}

final as (

    select
        cast(exclusion_reason as {{ dbt.type_string() }})
            as exclusion_reason,
        cast(rule_order as integer) as rule_order,
        cast(description as {{ dbt.type_string() }}) as description
    from reasons

)

select * from final

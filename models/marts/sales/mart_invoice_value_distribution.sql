{%- set percentiles = [5, 10, 25, 50, 75, 90, 95, 99] -%}

with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

int_invoice_values_summarized as (

    select * from {{ ref('int_invoice_values_summarized') }}

),

purchases as (

    select
        invoice_id,
        product_amount,
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date)
            as month_start_date
    from fct_invoices
    where is_purchase

),

purchases_flagged as (

    select
        purchases.*,
        int_invoice_values_summarized.outlier_threshold,
        purchases.product_amount
        > int_invoice_values_summarized.outlier_threshold as is_outlier
    from purchases
    cross join int_invoice_values_summarized

),

by_month as (

    select
        'month' as period_type,
        month_start_date,
        count(*) as invoice_count,
        {% for p in percentiles -%}
        {{ percentile_cont('product_amount', p / 100) }} as p{{ p }},
        {% endfor -%}
        {{ divide_rounded('sum(product_amount)', 'count(*)') }}
            as mean_amount,
        max(product_amount) as max_amount,
        sum(product_amount) as total_amount,
        sum(case when is_outlier then 1 else 0 end) as outlier_count,
        max(outlier_threshold) as outlier_threshold
    from purchases_flagged
    group by 1, 2

),

overall as (

    select
        'overall' as period_type,
        cast(null as date) as month_start_date,
        count(*) as invoice_count,
        {% for p in percentiles -%}
        {{ percentile_cont('product_amount', p / 100) }} as p{{ p }},
        {% endfor -%}
        {{ divide_rounded('sum(product_amount)', 'count(*)') }}
            as mean_amount,
        max(product_amount) as max_amount,
        sum(product_amount) as total_amount,
        sum(case when is_outlier then 1 else 0 end) as outlier_count,
        max(outlier_threshold) as outlier_threshold
    from purchases_flagged

),

periods as (

    select * from by_month
    union all
    select * from overall

),

final as (

    select
        cast(
            case
                when period_type = 'overall' then 'overall'
                else {{ year_month_label('month_start_date') }}
            end as {{ dbt.type_string() }}
        ) as period,
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        month_start_date,
        cast(invoice_count as integer) as invoice_count,
        {% for p in percentiles -%}
        cast(p{{ p }} as numeric(18, 2)) as p{{ p }}_amount,
        {% endfor -%}
        cast(p50 as numeric(18, 2)) as median_amount,
        cast(mean_amount as numeric(18, 2)) as mean_amount,
        cast(max_amount as numeric(18, 2)) as max_amount,
        cast(total_amount as numeric(18, 2)) as total_amount,
        cast(outlier_count as integer) as outlier_count,
        {{ divide_rounded('outlier_count', 'invoice_count', 4, 9) }}
            as outlier_rate,
        cast(outlier_threshold as numeric(18, 2)) as outlier_threshold
    from periods

)

select * from final

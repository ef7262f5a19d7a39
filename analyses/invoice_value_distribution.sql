-- What does a typical order look like, and which orders are outliers? Each
-- month, then the whole period (its own mart: percentiles do not add up).
{%- set statistics = [
    'invoice_count', 'p5_amount', 'p25_amount', 'median_amount', 'p75_amount',
    'p95_amount', 'p99_amount', 'mean_amount', 'max_amount', 'outlier_count',
    'outlier_threshold',
] %}
with

mart_invoice_value_distribution as (

    select * from {{ ref('mart_invoice_value_distribution') }}

),

mart_invoice_value_distribution_overall as (

    select * from {{ ref('mart_invoice_value_distribution_overall') }}

),

months_then_overall as (

    select
        period,
        {{ statistics | join(', ') }}
    from mart_invoice_value_distribution
    union all
    select
        'overall' as period,
        {{ statistics | join(', ') }}
    from mart_invoice_value_distribution_overall

)

select * from months_then_overall
order by period = 'overall', period

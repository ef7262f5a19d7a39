-- The one-row overall marts agree with their breakdowns: orders, outliers
-- and order value summed over the months of mart_invoice_value_distribution
-- (and the outlier orders listed) equal the overall row, and customers and
-- repeat customers summed over cohorts and over countries equal the overall
-- repeat rate's. Returns what disagrees.
with

mart_invoice_value_distribution as (

    select * from {{ ref('mart_invoice_value_distribution') }}

),

mart_invoice_value_distribution_overall as (

    select * from {{ ref('mart_invoice_value_distribution_overall') }}

),

mart_invoice_outliers as (

    select * from {{ ref('mart_invoice_outliers') }}

),

mart_repeat_purchase_rates_overall as (

    select * from {{ ref('mart_repeat_purchase_rates_overall') }}

),

mart_repeat_purchase_rates_by_cohort as (

    select * from {{ ref('mart_repeat_purchase_rates_by_cohort') }}

),

mart_repeat_purchase_rates_by_country as (

    select * from {{ ref('mart_repeat_purchase_rates_by_country') }}

),

months as (

    select
        sum(invoice_count) as invoice_count,
        sum(outlier_count) as outlier_count,
        sum(total_amount) as total_amount,
        count(*) as month_count
    from mart_invoice_value_distribution

),

outliers as (

    select count(*) as outlier_count
    from mart_invoice_outliers

),

cohorts as (

    select
        sum(customer_count) as customer_count,
        sum(repeat_customer_count) as repeat_customer_count
    from mart_repeat_purchase_rates_by_cohort

),

countries as (

    select
        sum(customer_count) as customer_count,
        sum(repeat_customer_count) as repeat_customer_count
    from mart_repeat_purchase_rates_by_country

),

checks as (

    {{ reconciliation_check(
        "'orders: months = overall'",
        'mart_invoice_value_distribution_overall.invoice_count',
        'months.invoice_count',
        'mart_invoice_value_distribution_overall cross join months'
    ) }}
    union all
    {{ reconciliation_check(
        "'outlier orders: months = overall'",
        'mart_invoice_value_distribution_overall.outlier_count',
        'months.outlier_count',
        'mart_invoice_value_distribution_overall cross join months'
    ) }}
    union all
    {{ reconciliation_check(
        "'outlier orders: listed = overall'",
        'mart_invoice_value_distribution_overall.outlier_count',
        'outliers.outlier_count',
        'mart_invoice_value_distribution_overall cross join outliers'
    ) }}
    union all
    {{ reconciliation_check(
        "'order value: months = overall'",
        'mart_invoice_value_distribution_overall.total_amount',
        'months.total_amount',
        'mart_invoice_value_distribution_overall cross join months',
        tolerance='0.005 * (months.month_count + 1)'
    ) }}
    union all
    {{ reconciliation_check(
        "'customers: cohorts = overall'",
        'mart_repeat_purchase_rates_overall.customer_count',
        'cohorts.customer_count',
        'mart_repeat_purchase_rates_overall cross join cohorts'
    ) }}
    union all
    {{ reconciliation_check(
        "'repeat customers: cohorts = overall'",
        'mart_repeat_purchase_rates_overall.repeat_customer_count',
        'cohorts.repeat_customer_count',
        'mart_repeat_purchase_rates_overall cross join cohorts'
    ) }}
    union all
    {{ reconciliation_check(
        "'customers: countries = overall'",
        'mart_repeat_purchase_rates_overall.customer_count',
        'countries.customer_count',
        'mart_repeat_purchase_rates_overall cross join countries'
    ) }}
    union all
    {{ reconciliation_check(
        "'repeat customers: countries = overall'",
        'mart_repeat_purchase_rates_overall.repeat_customer_count',
        'countries.repeat_customer_count',
        'mart_repeat_purchase_rates_overall cross join countries'
    ) }}

)

select * from checks
where abs(expected - actual) > tolerance

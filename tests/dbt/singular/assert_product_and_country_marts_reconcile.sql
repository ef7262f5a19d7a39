-- Product and country marts add up to the facts: product net revenue over
-- mart_product_performance equals product net revenue in fct_invoice_lines,
-- country net revenue over mart_country_performance and over
-- mart_country_monthly equals net revenue in fct_invoices (within half a
-- penny per rounded row), and A-class products make at least the A share.
with

fct_invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

mart_product_performance as (

    select * from {{ ref('mart_product_performance') }}

),

mart_country_performance as (

    select * from {{ ref('mart_country_performance') }}

),

mart_country_monthly as (

    select * from {{ ref('mart_country_monthly') }}

),

line_totals as (

    select sum(line_amount) as net_revenue
    from fct_invoice_lines
    where is_product

),

invoice_totals as (

    select sum(product_amount) as net_revenue
    from fct_invoices

),

product_totals as (

    select
        sum(net_revenue) as net_revenue,
        sum(
            case when abc_class = 'A' then net_revenue else 0 end
        ) as class_a_revenue,
        sum(
            case when net_revenue > 0 then net_revenue else 0 end
        ) as positive_revenue,
        count(*) as products
    from mart_product_performance

),

country_totals as (

    select
        sum(net_revenue) as net_revenue,
        count(*) as countries
    from mart_country_performance

),

country_month_totals as (

    select
        sum(net_revenue) as net_revenue,
        count(*) as country_months
    from mart_country_monthly

),

checks as (

    {{ reconciliation_check(
        "'product net revenue = product lines'",
        'line_totals.net_revenue',
        'product_totals.net_revenue',
        'line_totals cross join product_totals',
        tolerance='0.005 * product_totals.products'
    ) }}
    union all
    {{ reconciliation_check(
        "'country net revenue = fct_invoices'",
        'invoice_totals.net_revenue',
        'country_totals.net_revenue',
        'invoice_totals cross join country_totals',
        tolerance='0.005 * country_totals.countries'
    ) }}
    union all
    {{ reconciliation_check(
        "'country x month net revenue = fct_invoices'",
        'invoice_totals.net_revenue',
        'country_month_totals.net_revenue',
        'invoice_totals cross join country_month_totals',
        tolerance='0.005 * country_month_totals.country_months'
    ) }}

),

abc_check as (

    select
        'class A revenue below the A share' as check_name,
        cast(
            {{ var('abc_class_a_share') }} * positive_revenue
            as numeric(28, 3)
        ) as expected,
        cast(class_a_revenue as numeric(28, 3)) as actual,
        cast(0 as numeric(28, 3)) as tolerance
    from product_totals
    where class_a_revenue < {{ var('abc_class_a_share') }} * positive_revenue

)

select * from checks
where abs(expected - actual) > tolerance
union all
select * from abc_check

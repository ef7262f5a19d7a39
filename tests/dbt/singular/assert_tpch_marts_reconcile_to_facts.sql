-- Sources with costs, employees and suppliers (TPC-H): the totals of the
-- profitability, location, employee and supplier marts equal those of
-- fct_invoice_lines to the cent (net revenue, cost of goods, gross margin),
-- and each level of the product-group mart adds up to the product mart.
-- Returns the marts whose totals differ.
{{ config(enabled=sales_source() == 'tpch') }}

with

fct_invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

mart_product_profitability as (

    select * from {{ ref('mart_product_profitability') }}

),

mart_product_group_profitability as (

    select * from {{ ref('mart_product_group_profitability') }}

),

mart_location_monthly as (

    select * from {{ ref('mart_location_monthly') }}

),

mart_location_performance as (

    select * from {{ ref('mart_location_performance') }}

),

mart_employee_monthly as (

    select * from {{ ref('mart_employee_monthly') }}

),

mart_employee_performance as (

    select * from {{ ref('mart_employee_performance') }}

),

mart_supplier_performance as (

    select * from {{ ref('mart_supplier_performance') }}

),

facts as (

    select
        sum(line_amount) as net_revenue,
        sum(cost_amount) as cost_of_goods,
        sum(line_amount - cost_amount) as gross_margin
    from fct_invoice_lines
    where is_product

),

mart_totals as (

    select
        'mart_product_profitability' as mart,
        sum(net_revenue) as net_revenue,
        sum(cost_of_goods) as cost_of_goods,
        sum(gross_margin) as gross_margin
    from mart_product_profitability
    union all
    select
        'mart_product_group_profitability ' || group_level as mart,
        sum(net_revenue) as net_revenue,
        sum(cost_of_goods) as cost_of_goods,
        sum(gross_margin) as gross_margin
    from mart_product_group_profitability
    group by group_level
    union all
    select
        'mart_location_monthly ' || location_role as mart,
        sum(net_revenue) as net_revenue,
        sum(cost_of_goods) as cost_of_goods,
        sum(gross_margin) as gross_margin
    from mart_location_monthly
    group by location_role
    union all
    select
        'mart_location_performance ' || location_role as mart,
        sum(net_revenue) as net_revenue,
        sum(cost_of_goods) as cost_of_goods,
        sum(gross_margin) as gross_margin
    from mart_location_performance
    group by location_role
    union all
    select
        'mart_employee_monthly' as mart,
        sum(net_revenue) as net_revenue,
        sum(net_revenue - gross_margin) as cost_of_goods,
        sum(gross_margin) as gross_margin
    from mart_employee_monthly
    union all
    select
        'mart_employee_performance' as mart,
        sum(net_revenue) as net_revenue,
        sum(net_revenue - gross_margin) as cost_of_goods,
        sum(gross_margin) as gross_margin
    from mart_employee_performance
    union all
    select
        'mart_supplier_performance' as mart,
        sum(net_revenue) as net_revenue,
        sum(cost_of_goods) as cost_of_goods,
        sum(gross_margin) as gross_margin
    from mart_supplier_performance

),

final as (

    select
        mart_totals.mart,
        mart_totals.net_revenue,
        facts.net_revenue as fact_net_revenue,
        mart_totals.cost_of_goods,
        facts.cost_of_goods as fact_cost_of_goods,
        mart_totals.gross_margin,
        facts.gross_margin as fact_gross_margin
    from mart_totals
    cross join facts
    where
        mart_totals.net_revenue != facts.net_revenue
        or mart_totals.cost_of_goods != facts.cost_of_goods
        or mart_totals.gross_margin != facts.gross_margin

)

select * from final

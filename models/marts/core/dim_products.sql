{{ config(**incremental_by_grain('product_id')) }}

with

fct_invoice_lines as {{ not_materialized() }} (

    select * from {{ ref('fct_invoice_lines') }}

),

-- An incremental run recomputes the products with a line of a new load,
-- from all their lines.
product_lines as {{ not_materialized() }} (

    select *
    from fct_invoice_lines
    where {{ in_affected_keys(
        'product_id', 'fct_invoice_lines', 'product_id', load_column='load_id'
    ) }}

),

-- Current description: the one on the product's latest line that has one
-- (latest invoice time, then the higher invoice number, then the
-- alphabetically first description: values only, so the result does not
-- depend on which copy of a duplicated line was kept).
descriptions_ranked as (

    select
        product_id,
        description,
        row_number() over (
            partition by product_id
            order by invoiced_at desc, invoice_id desc, description asc
        ) as description_rank
    from product_lines
    where description is not null

),

current_descriptions as (

    select
        product_id,
        description
    from descriptions_ranked
    where description_rank = 1

),

-- Three aggregates joined on the product instead of one: DuckDB runs a
-- distinct count beside a median by copying every line, which spilled more
-- than 18 GB at TPC-H SF 10 (docs/benchmark.md); apart, each streams.
description_counts as (

    select
        product_id,
        count(*) as description_count
    from (
        select distinct
            product_id,
            description
        from product_lines
        where description is not null
    ) as product_descriptions
    group by product_id

),

median_prices as (

    select
        product_id,
        {{ percentile_cont("unit_price", 0.5) }} as median_unit_price
    from product_lines
    where invoice_kind = 'sale'
    group by product_id

),

products_summed as (

    select
        product_id,
        max(line_category) as line_category,
        max(revenue_group) as revenue_group,
        min(
            case when invoice_kind = 'sale' then invoiced_at end
        ) as first_sold_at,
        max(
            case when invoice_kind = 'sale' then invoiced_at end
        ) as last_sold_at,
        sum(case when invoice_kind = 'sale' then 1 else 0 end)
            as sale_line_count,
        min(case when invoice_kind = 'sale' then unit_price end)
            as min_unit_price,
        max(case when invoice_kind = 'sale' then unit_price end)
            as max_unit_price,
        {{ divide_rounded(
            "sum(case when invoice_kind = 'sale' then unit_price end)",
            "sum(case when invoice_kind = 'sale' then 1 else 0 end)",
            3
        ) }} as mean_unit_price,
        max(load_id) as last_load_id
    from product_lines
    group by product_id

),

products_aggregated as (

    select
        products_summed.*,
        coalesce(description_counts.description_count, 0)
            as description_count,
        median_prices.median_unit_price
    from products_summed
    left join description_counts
        on products_summed.product_id = description_counts.product_id
    left join median_prices
        on products_summed.product_id = median_prices.product_id

),

final as (

    select
        products_aggregated.product_id,
        current_descriptions.description,
        -- Text cast to one type (PostgreSQL's max() of varchar is text), so a
        -- full and an incremental run write the same column types, as in
        -- fct_invoices.
        cast(products_aggregated.line_category as {{ text_type() }})
            as line_category,
        cast(products_aggregated.revenue_group as {{ text_type() }})
            as revenue_group,
        cast(products_aggregated.description_count as integer)
            as description_count,
        cast(products_aggregated.sale_line_count as integer)
            as sale_line_count,
        cast(products_aggregated.min_unit_price as numeric(18, 3))
            as min_unit_price,
        cast(products_aggregated.max_unit_price as numeric(18, 3))
            as max_unit_price,
        cast(products_aggregated.mean_unit_price as numeric(18, 3))
            as mean_unit_price,
        cast(products_aggregated.median_unit_price as numeric(18, 3))
            as median_unit_price,
        products_aggregated.revenue_group = 'product' as is_product,
        products_aggregated.first_sold_at,
        products_aggregated.last_sold_at,
        cast(products_aggregated.last_load_id as integer) as last_load_id
    from products_aggregated
    left join current_descriptions
        on products_aggregated.product_id = current_descriptions.product_id

)

select * from final

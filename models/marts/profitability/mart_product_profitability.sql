with

fct_invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

int_products_standardized as (

    select * from {{ ref('int_products_standardized') }}

),

mart_product_performance as (

    select * from {{ ref('mart_product_performance') }}

),

-- Sales and credit lines of products; cost of goods is the lines' cost
-- (negative on credit lines: returned goods come back at their cost).
products_aggregated as (

    select
        product_id,
        sum(quantity) as units,
        {{ line_measures([
                'gross_sales',
                'returned_amount',
                'net_revenue',
                'cost_of_goods',
                'gross_margin'
            ]) }}
    from fct_invoice_lines
    where is_product
    group by 1

),

-- Margin rank and ABC classes by margin (macro abc_class), largest first,
-- ties by product id.
products_ranked as (

    select
        products_aggregated.*,
        row_number() over (
            order by
                products_aggregated.gross_margin desc,
                products_aggregated.product_id asc
        ) as margin_rank,
        {{ abc_positive_running_total(
            'products_aggregated.gross_margin',
            'products_aggregated.gross_margin desc, '
            ~ 'products_aggregated.product_id asc'
        ) }} as margin_before,
        {{ abc_positive_running_total(
            'products_aggregated.gross_margin', none, before=false
        ) }} as total_positive_margin
    from products_aggregated

),

final as (

    select
        products_ranked.product_id,
        int_products_standardized.product_name,
        int_products_standardized.product_type,
        int_products_standardized.brand,
        int_products_standardized.manufacturer,
        cast(products_ranked.units as bigint) as units,
        {{ margin_columns('products_ranked') }},
        cast(products_ranked.margin_rank as integer) as margin_rank,
        mart_product_performance.revenue_rank,
        {{ abc_class(
            'products_ranked.gross_margin',
            'products_ranked.margin_before',
            'products_ranked.total_positive_margin'
        ) }} as margin_abc_class,
        mart_product_performance.abc_class as revenue_abc_class
    from products_ranked
    left join int_products_standardized
        on products_ranked.product_id = int_products_standardized.product_id
    left join mart_product_performance
        on products_ranked.product_id = mart_product_performance.product_id

)

select * from final

-- Market basket analysis on the orders: which products are bought in the
-- same order. The grain, the measures and the thresholds are in the YAML;
-- the cost, and how it scales, in docs/products.md.
with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

fct_invoice_lines as {{ not_materialized() }} (

    select * from {{ ref('fct_invoice_lines') }}

),

-- An order is a purchase invoice: a sale with a product line.
order_totals as (

    select count(*) as order_count
    from fct_invoices
    where is_purchase

),

-- The fewest orders a pair must share: product_affinity_min_pair_order_count
-- or product_affinity_min_support of the orders, whichever is more.
thresholds as (

    select
        order_count,
        greatest(
            cast(
                ceiling({{ var('product_affinity_min_support') }} * order_count)
                as bigint
            ),
            cast({{ var('product_affinity_min_pair_order_count') }} as bigint)
        ) as min_pair_order_count
    from order_totals

),

-- The orders' product lines: the product lines of sale invoices (a sale
-- invoice with one is a purchase). Inlined into its two readers: at TPC-H
-- SF 10 it is 60 M lines.
order_lines as {{ not_materialized() }} (

    select
        invoice_id,
        product_id
    from fct_invoice_lines
    where invoice_kind = 'sale' and is_product

),

-- Orders with each product, as mart_product_performance.invoice_count
-- counts them: one aggregate over the lines, no distinct (order, product)
-- rows of every product.
product_orders as (

    select
        product_id,
        count(distinct invoice_id) as product_order_count
    from order_lines
    group by 1

),

-- Pruning before the self-join (the Apriori property): a pair is in no
-- more orders than either of its products, so a product in fewer orders
-- than a pair needs can be in no kept pair. Leaving it out changes no row
-- and bounds the join (docs/products.md).
frequent_products as (

    select product_orders.product_id
    from product_orders
    cross join thresholds
    where product_orders.product_order_count >= thresholds.min_pair_order_count

),

-- The baskets of the frequent products: each order's distinct ones (a
-- product on two lines of an order counts once).
frequent_order_products as (

    select distinct
        order_lines.invoice_id,
        order_lines.product_id
    from order_lines
    inner join frequent_products
        on order_lines.product_id = frequent_products.product_id

),

-- Each unordered pair once (the smaller id first), half the rows of both
-- orders.
pairs_counted as (

    select
        order_product.product_id,
        other_order_product.product_id as other_product_id,
        count(*) as pair_order_count
    from frequent_order_products as order_product
    inner join frequent_order_products as other_order_product
        on
            order_product.invoice_id = other_order_product.invoice_id
            and order_product.product_id < other_order_product.product_id
    group by 1, 2

),

frequent_pairs as (

    select
        pairs_counted.product_id,
        pairs_counted.other_product_id,
        pairs_counted.pair_order_count
    from pairs_counted
    cross join thresholds
    where pairs_counted.pair_order_count >= thresholds.min_pair_order_count

),

-- One row per ordered pair: the rule product_id -> other_product_id and
-- its reverse.
pairs_both_ways as (

    select
        product_id,
        other_product_id,
        pair_order_count
    from frequent_pairs
    union all
    select
        other_product_id as product_id,
        product_id as other_product_id,
        pair_order_count
    from frequent_pairs

),

pairs_joined_to_products as (

    select
        pairs_both_ways.product_id,
        pairs_both_ways.other_product_id,
        pairs_both_ways.pair_order_count,
        product_orders.product_order_count,
        other_product_orders.product_order_count as other_product_order_count,
        thresholds.order_count
    from pairs_both_ways
    inner join product_orders
        on pairs_both_ways.product_id = product_orders.product_id
    inner join product_orders as other_product_orders
        on pairs_both_ways.other_product_id = other_product_orders.product_id
    cross join thresholds

),

final as (

    -- Ratios of whole numbers rounded half up by integer division
    -- (divide_counts_rounded): exact, and the same, on every engine. lift
    -- = pair x orders / (product x other product), whose bigint
    -- 2 x pair x orders x 10^4 stays below 2^63 up to 21 M orders.
    select
        cast(product_id as {{ text_type() }}) as product_id,
        cast(other_product_id as {{ text_type() }}) as other_product_id,
        cast(pair_order_count as integer) as pair_order_count,
        cast(product_order_count as integer) as product_order_count,
        cast(other_product_order_count as integer)
            as other_product_order_count,
        cast(order_count as integer) as order_count,
        -- support is the measure's name (no engine reserves it).
        {{ divide_counts_rounded('pair_order_count', 'order_count', 8, 18) }}
            as support,  -- noqa: RF04
        {{ divide_counts_rounded(
            'pair_order_count', 'product_order_count', 6, 9
        ) }} as confidence,
        {{ divide_counts_rounded(
            'cast(pair_order_count as bigint) * order_count',
            'cast(product_order_count as bigint)'
            ~ ' * other_product_order_count',
            4,
            18
        ) }} as lift
    from pairs_joined_to_products

)

select * from final

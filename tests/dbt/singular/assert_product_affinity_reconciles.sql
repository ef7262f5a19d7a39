-- mart_product_affinity holds each rule and its reverse with the same pair
-- count, its order count is fct_invoices' purchases, and each product's
-- order count is mart_product_performance's invoice_count (sale invoices
-- with the product): the baskets are the orders of the other marts.
with

mart_product_affinity as (

    select * from {{ ref('mart_product_affinity') }}

),

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

mart_product_performance as (

    select * from {{ ref('mart_product_performance') }}

),

purchases as (

    select count(*) as order_count
    from fct_invoices
    where is_purchase

),

reverse_missing as (

    select
        'reverse rule missing or different: '
        || mart_product_affinity.product_id || ' -> '
        || mart_product_affinity.other_product_id as failure
    from mart_product_affinity
    left join mart_product_affinity as reverse_rules
        on
            mart_product_affinity.product_id = reverse_rules.other_product_id
            and mart_product_affinity.other_product_id
            = reverse_rules.product_id
            and mart_product_affinity.pair_order_count
            = reverse_rules.pair_order_count
    where reverse_rules.product_id is null

),

order_count_differs as (

    select 'order_count differs from fct_invoices purchases' as failure
    from mart_product_affinity
    cross join purchases
    where mart_product_affinity.order_count <> purchases.order_count

),

product_count_differs as (

    select
        'product_order_count differs from mart_product_performance: '
        || mart_product_affinity.product_id as failure
    from mart_product_affinity
    left join mart_product_performance
        on
            mart_product_affinity.product_id
            = mart_product_performance.product_id
    where
        mart_product_performance.invoice_count is null
        or mart_product_affinity.product_order_count
        <> mart_product_performance.invoice_count

)

select * from reverse_missing
union all
select * from order_count_differs
union all
select * from product_count_differs

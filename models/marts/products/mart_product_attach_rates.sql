with

mart_product_affinity as (

    select * from {{ ref('mart_product_affinity') }}

),

dim_products as (

    select * from {{ ref('dim_products') }}

),

-- For each product, the products bought with it, most often first: by
-- pair_order_count (the same order as confidence, whose denominator is the
-- product's), then the rarer other product (the higher lift), then its id,
-- so the ranks are the same on every engine. Whole numbers and ids only:
-- no rounded ratio decides a rank.
rules_ranked as (

    select
        mart_product_affinity.*,
        row_number() over (
            partition by mart_product_affinity.product_id
            order by
                mart_product_affinity.pair_order_count desc,
                mart_product_affinity.other_product_order_count asc,
                mart_product_affinity.other_product_id asc
        ) as attach_rank
    from mart_product_affinity

),

final as (

    select
        rules_ranked.product_id,
        dim_products.description,
        cast(rules_ranked.attach_rank as integer) as attach_rank,
        rules_ranked.other_product_id,
        other_products.description as other_description,
        rules_ranked.pair_order_count,
        rules_ranked.product_order_count,
        rules_ranked.confidence as attach_rate,
        rules_ranked.lift
    from rules_ranked
    inner join dim_products
        on rules_ranked.product_id = dim_products.product_id
    inner join dim_products as other_products
        on rules_ranked.other_product_id = other_products.product_id
    where rules_ranked.attach_rank <= {{ var('product_attach_top_n') }}

)

select * from final

-- mart_revenue_bridge: on every row the six revenue effects add up to
-- revenue_change to the cent, revenue_change is net_revenue less
-- base_net_revenue, and, where the source has costs, the seven margin
-- effects (price_effect among them) add up to gross_margin_change and
-- gross margin is revenue less cost. Returns the rows that break one.
with

mart_revenue_bridge as (

    select * from {{ ref('mart_revenue_bridge') }}

),

checked as (

    select
        group_level,
        group_name,
        comparison,
        month_start_date,
        revenue_change,
        volume_effect + price_effect + mix_effect + new_products_effect
        + lost_products_effect + returns_effect as revenue_effects,
        net_revenue - base_net_revenue as revenue_difference,
        gross_margin_change,
        cost_of_goods,
        margin_volume_effect + margin_mix_effect + price_effect + cost_effect
        + margin_new_products_effect + margin_lost_products_effect
        + margin_returns_effect as margin_effects,
        (net_revenue - cost_of_goods)
        - (base_net_revenue - base_cost_of_goods) as margin_difference,
        gross_margin - base_gross_margin as gross_margin_difference
    from mart_revenue_bridge

)

select *
from checked
where
    revenue_change <> revenue_effects
    or revenue_change <> revenue_difference
    or revenue_change is null
    or gross_margin_change <> margin_effects
    or gross_margin_change <> margin_difference
    or gross_margin_change <> gross_margin_difference
    or (gross_margin_change is null) <> (cost_of_goods is null)
    or (margin_effects is null) <> (cost_of_goods is null)

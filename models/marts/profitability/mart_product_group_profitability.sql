{%- set group_levels = ['product_type', 'brand', 'manufacturer'] %}

with

mart_product_profitability as (

    select * from {{ ref('mart_product_profitability') }}

),

-- The product rows summed per value of each grouping column in turn.
groups_aggregated as (

    {% for level in group_levels -%}
    select
        '{{ level }}' as group_level,
        {{ level }} as group_name,
        count(*) as product_count,
        sum(units) as units,
        sum(net_revenue) as net_revenue,
        sum(cost_of_goods) as cost_of_goods,
        sum(gross_margin) as gross_margin
    from mart_product_profitability
    where {{ level }} is not null
    group by 1, 2
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

groups_ranked as (

    select
        *,
        row_number() over (
            partition by group_level
            order by gross_margin desc, group_name asc
        ) as margin_rank,
        sum(gross_margin) over (partition by group_level) as level_margin
    from groups_aggregated

),

final as (

    select
        cast(group_level as {{ dbt.type_string() }}) as group_level,
        cast(group_name as {{ dbt.type_string() }}) as group_name,
        cast(product_count as integer) as product_count,
        cast(units as bigint) as units,
        {{ margin_columns(measures=[
            'net_revenue', 'cost_of_goods', 'gross_margin', 'gross_margin_rate'
        ]) }},
        {{ divide_rounded('gross_margin', 'level_margin', 6, 9) }}
            as margin_share,
        cast(margin_rank as integer) as margin_rank
    from groups_ranked

)

select * from final

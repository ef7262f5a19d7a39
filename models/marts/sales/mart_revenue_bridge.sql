{#-
    The price-volume-mix bridge of net revenue (and of gross margin when the
    source has costs): formulas, rounding and the new, lost and returned
    products in mart_revenue_bridge.yml.
-#}
{%- set has_costs = var('using_product_costs', sales_source() == 'tpch') %}
{%- set comparisons = [
    ('previous_month', 1),
    ('same_month_last_year', 12),
] %}
{#- Levels compared product by product; the product-type level is the total
    level's rows named by each product's type (products_in_groups). -#}
{%- set group_names = {
    'total': "'total'",
    'country': 'country_code',
} %}
{#- Cost and margin columns are null when the source has no costs. -#}
{%- set with_costs = 'true' if has_costs else 'false' %}
{%- set measures = [
    'units_sold',
    'sales_revenue',
    'sales_cost',
    'returns_revenue',
    'returns_cost',
] %}

{{
    config(**incremental_by_grain(
        'month_start_date', partition_by='month_start_date'
    ))
}}

with

fct_invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

int_products_standardized as (

    select * from {{ ref('int_products_standardized') }}

),

dim_dates as (

    select * from {{ ref('dim_dates') }}

),

data_months as (

    select
        month_start_date,
        max(case when is_complete_month then 1 else 0 end) = 1
            as is_complete_month
    from dim_dates
    where is_in_data_range
    group by 1

),

{% if is_incremental() -%}
-- An incremental run recomputes every month a new load can change: the
-- months of its product lines (by their invoice's month), the months at
-- either end of the data that the new loads brought into the data's range or
-- made complete, and the months that compare with any of these (the month
-- and the year after); it reads their base months as well. Other months
-- cannot change.
old_range as (

    select
        min(invoice_date) as first_invoice_date,
        max(invoice_date) as last_invoice_date
    from fct_invoices
    where last_load_id <= {{ new_loads_after('last_load_id') }}

),

-- Joins the lines to their invoices as product_lines does, rather than
-- reading product_lines: a CTE read twice is materialized whole on
-- PostgreSQL, and this one reads only the new loads' lines.
months_touched as (

    select distinct
        cast(
            {{ dbt.date_trunc('month', 'fct_invoices.invoice_date') }} as date
        ) as month_start_date
    from fct_invoice_lines
    inner join fct_invoices
        on fct_invoice_lines.invoice_id = fct_invoices.invoice_id
    where
        fct_invoice_lines.revenue_group = 'product'
        and fct_invoice_lines.load_id > {{ new_loads_after('last_load_id') }}

    union

    {{ data_range_end_months('data_months', 'old_range') }}

),

months_recomputed as (

    select month_start_date from months_touched
    {% for comparison, months_back in comparisons -%}
    union
    select
        cast(
            {{ dbt.dateadd('month', months_back, 'month_start_date') }} as date
        ) as month_start_date
    from months_touched
    {% endfor %}

),

months_read as (

    select month_start_date from months_recomputed
    {% for comparison, months_back in comparisons -%}
    union
    select
        cast(
            {{ dbt.dateadd('month', -months_back, 'month_start_date') }}
            as date
        ) as month_start_date
    from months_recomputed
    {% endfor %}

),

{% endif -%}

-- Product lines in the month of their invoice, as mart_sales_monthly and
-- mart_country_monthly count them (a TPC-H credit note's lines can have
-- several receipt dates; the note is dated by its first). Without costs in
-- the source, cost is 0 here and the cost and margin columns null at the end.
product_lines as (

    select
        fct_invoice_lines.country_code,
        fct_invoice_lines.product_id,
        cast(
            {{ dbt.date_trunc('month', 'fct_invoices.invoice_date') }} as date
        ) as month_start_date,
        fct_invoice_lines.invoice_kind,
        fct_invoice_lines.quantity,
        fct_invoice_lines.line_amount,
        {{ 'fct_invoice_lines.cost_amount' if has_costs else '0' }}
            as cost_amount,
        fct_invoice_lines.load_id
    from fct_invoice_lines
    inner join fct_invoices
        on fct_invoice_lines.invoice_id = fct_invoices.invoice_id
    where fct_invoice_lines.revenue_group = 'product'

),

-- Sales (units, revenue, cost) apart from everything else on product lines
-- (cancellations and returns: negative revenue and cost).
products_by_country_month as (

    select
        country_code,
        product_id,
        month_start_date,
        sum(case when invoice_kind = 'sale' then quantity else 0 end)
            as units_sold,
        sum(case when invoice_kind = 'sale' then line_amount else 0 end)
            as sales_revenue,
        sum(case when invoice_kind = 'sale' then cost_amount else 0 end)
            as sales_cost,
        sum(case when invoice_kind = 'sale' then 0 else line_amount end)
            as returns_revenue,
        sum(case when invoice_kind = 'sale' then 0 else cost_amount end)
            as returns_cost,
        max(load_id) as last_load_id
    from product_lines
    {% if is_incremental() -%}
    where month_start_date in (select month_start_date from months_read)
    {% endif -%}
    group by 1, 2, 3

),

-- One row per level (total, country), group, product and month.
products_by_group_month as (

    {% for level, group_name in group_names.items() -%}
    select
        '{{ level }}' as group_level,
        {{ group_name }} as group_name,
        product_id,
        month_start_date,
        sum(units_sold) as units_sold,
        sum(sales_revenue) as sales_revenue,
        sum(sales_cost) as sales_cost,
        sum(returns_revenue) as returns_revenue,
        sum(returns_cost) as returns_cost,
        max(last_load_id) as last_load_id
    from products_by_country_month
    group by 1, 2, 3, 4
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- Each product-month beside the same product and group in the comparison's
-- base month: a full outer join, so products sold in only one of the two
-- months are kept with zeros on the other side. (Shifting every row forward
-- and summing the two copies gives the same rows, but its aggregate held
-- every product-month twice per comparison: 75 M rows at TPC-H SF 1, which
-- ran out of DuckDB's 3 GB; the join spills.)
products_compared as (

    {% for comparison, months_back in comparisons -%}
    select
        coalesce(current_month.group_level, base_month.group_level)
            as group_level,
        coalesce(current_month.group_name, base_month.group_name)
            as group_name,
        coalesce(current_month.product_id, base_month.product_id)
            as product_id,
        '{{ comparison }}' as comparison,
        {% for measure in measures -%}
        coalesce(current_month.{{ measure }}, 0) as {{ measure }},
        coalesce(base_month.{{ measure }}, 0) as base_{{ measure }},
        {% endfor -%}
        coalesce(
            current_month.month_start_date,
            cast(
                {{ dbt.dateadd(
                    'month', months_back, 'base_month.month_start_date'
                ) }} as date
            )
        ) as month_start_date,
        -- the newer of the two months' newest loads (either may be null)
        coalesce(
            case
                when current_month.last_load_id > base_month.last_load_id
                    then current_month.last_load_id
                else base_month.last_load_id
            end,
            current_month.last_load_id
        ) as last_load_id
    from products_by_group_month as current_month
    full outer join products_by_group_month as base_month
        on
            current_month.group_level = base_month.group_level
            and current_month.group_name = base_month.group_name
            and current_month.product_id = base_month.product_id
            and current_month.month_start_date = cast(
                {{ dbt.dateadd(
                    'month', months_back, 'base_month.month_start_date'
                ) }} as date
            )
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

products_classified as (

    select
        *,
        case
            when base_units_sold > 0 and units_sold > 0 then 'continuing'
            when units_sold > 0 then 'new'
            when base_units_sold > 0 then 'lost'
            else 'returns_only'
        end as product_status,
        case
            when base_units_sold > 0 and units_sold > 0
                then {{ divide_rounded_exact(
                    'units_sold * base_sales_revenue', 'base_units_sold', 6, 38
                ) }}
        end as revenue_at_base_price,
        case
            when base_units_sold > 0 and units_sold > 0
                then {{ divide_rounded_exact(
                    'units_sold * base_sales_cost', 'base_units_sold', 6, 38
                ) }}
        end as cost_at_base_unit_cost
    from products_compared

),

-- A product has one type, so its rows at the total level, named by its type,
-- are its rows at the product-type level: compared once, not twice.
products_in_groups as (

    select * from products_classified

    union all

    -- The columns of products_classified, in its order.
    select
        'product_type' as group_level,
        coalesce(int_products_standardized.product_type, 'untyped')
            as group_name,
        products_classified.product_id,
        products_classified.comparison,
        {% for measure in measures -%}
        products_classified.{{ measure }},
        products_classified.base_{{ measure }},
        {% endfor -%}
        products_classified.month_start_date,
        products_classified.last_load_id,
        products_classified.product_status,
        products_classified.revenue_at_base_price,
        products_classified.cost_at_base_unit_cost
    from products_classified
    left join int_products_standardized
        on
            products_classified.product_id
            = int_products_standardized.product_id
    where products_classified.group_level = 'total'

),

groups_compared as (

    select
        group_level,
        group_name,
        comparison,
        month_start_date,
        sum(sales_revenue + returns_revenue) as current_revenue,
        sum(base_sales_revenue + base_returns_revenue) as base_revenue,
        sum(sales_cost + returns_cost) as current_cost,
        sum(base_sales_cost + base_returns_cost) as base_cost,
        sum(units_sold) as units_sold,
        sum(base_units_sold) as base_units_sold,
        {% for name, status in [
            ('continuing', 'continuing'),
            ('new', 'new'),
            ('lost', 'lost'),
        ] -%}
        sum(
            case when product_status = '{{ status }}' then 1 else 0 end
        ) as {{ name }}_product_count,
        {% endfor -%}
        {% for amount in ['units_sold', 'sales_revenue', 'sales_cost'] -%}
        sum(
            case
                when product_status = 'continuing' then {{ amount }} else 0
            end
        ) as continuing_{{ amount }},
        sum(
            case
                when product_status = 'continuing' then base_{{ amount }}
                else 0
            end
        ) as base_continuing_{{ amount }},
        {% endfor -%}
        coalesce(sum(revenue_at_base_price), 0) as revenue_at_base_price,
        coalesce(sum(cost_at_base_unit_cost), 0) as cost_at_base_unit_cost,
        sum(
            case when product_status = 'new' then sales_revenue else 0 end
        ) as new_sales_revenue,
        sum(
            case when product_status = 'new' then sales_cost else 0 end
        ) as new_sales_cost,
        sum(
            case when product_status = 'lost' then base_sales_revenue else 0 end
        ) as lost_sales_revenue,
        sum(
            case when product_status = 'lost' then base_sales_cost else 0 end
        ) as lost_sales_cost,
        sum(returns_revenue - base_returns_revenue) as returns_revenue_change,
        sum(returns_cost - base_returns_cost) as returns_cost_change,
        max(last_load_id) as last_load_id
    from products_in_groups
    group by 1, 2, 3, 4

),

groups_dated as (

    select
        *,
        case comparison
            {% for comparison, months_back in comparisons -%}
            when '{{ comparison }}'
                then cast(
                    {{ dbt.dateadd('month', -months_back, 'month_start_date') }}
                    as date
                )
            {% endfor -%}
        end as base_month_start_date
    from groups_compared

),

-- Only months whose base month is in the data as well.
groups_in_range as (

    select
        groups_dated.*,
        current_months.is_complete_month
        and base_months.is_complete_month as is_complete_comparison
    from groups_dated
    inner join data_months as current_months
        on groups_dated.month_start_date = current_months.month_start_date
    inner join data_months as base_months
        on groups_dated.base_month_start_date = base_months.month_start_date
    {% if is_incremental() -%}
    where
        groups_dated.month_start_date
        in (select month_start_date from months_recomputed)
    {% endif -%}

),

-- Every effect but the mix rounded half up to the cent; the revenues
-- rounded as the monthly marts round them.
effects_rounded as (

    select
        *,
        cast(current_revenue as numeric(18, 2)) as net_revenue,
        cast(base_revenue as numeric(18, 2)) as base_net_revenue,
        cast(current_cost as numeric(18, 2)) as cost_of_goods,
        cast(base_cost as numeric(18, 2)) as base_cost_of_goods,
        coalesce(
            {{ divide_rounded_exact(
                '(continuing_units_sold - base_continuing_units_sold)'
                ~ ' * base_continuing_sales_revenue',
                'base_continuing_units_sold'
            ) }},
            0
        ) as volume_effect,
        {{ divide_rounded_exact(
            'continuing_sales_revenue - revenue_at_base_price', 1
        ) }} as price_effect,
        {{ divide_rounded_exact('new_sales_revenue', 1) }}
            as new_products_effect,
        {{ divide_rounded_exact('-lost_sales_revenue', 1) }}
            as lost_products_effect,
        {{ divide_rounded_exact('returns_revenue_change', 1) }}
            as returns_effect,
        coalesce(
            {{ divide_rounded_exact(
                '(continuing_units_sold - base_continuing_units_sold)'
                ~ ' * (base_continuing_sales_revenue'
                ~ ' - base_continuing_sales_cost)',
                'base_continuing_units_sold'
            ) }},
            0
        ) as margin_volume_effect,
        {{ divide_rounded_exact(
            'cost_at_base_unit_cost - continuing_sales_cost', 1
        ) }} as cost_effect,
        {{ divide_rounded_exact('new_sales_revenue - new_sales_cost', 1) }}
            as margin_new_products_effect,
        {{ divide_rounded_exact('lost_sales_cost - lost_sales_revenue', 1) }}
            as margin_lost_products_effect,
        {{ divide_rounded_exact(
            'returns_revenue_change - returns_cost_change', 1
        ) }} as margin_returns_effect
    from groups_in_range

),

-- The mix effects are the residuals, so the effects add up to the change
-- to the cent on every row.
effects_completed as (

    select
        *,
        net_revenue - base_net_revenue as revenue_change,
        base_net_revenue - base_cost_of_goods as base_gross_margin,
        net_revenue - cost_of_goods as gross_margin,
        net_revenue - base_net_revenue
        - volume_effect
        - price_effect
        - new_products_effect
        - lost_products_effect
        - returns_effect as mix_effect,
        (net_revenue - cost_of_goods)
        - (base_net_revenue - base_cost_of_goods) as gross_margin_change,
        (net_revenue - cost_of_goods)
        - (base_net_revenue - base_cost_of_goods)
        - margin_volume_effect
        - price_effect
        - cost_effect
        - margin_new_products_effect
        - margin_lost_products_effect
        - margin_returns_effect as margin_mix_effect
    from effects_rounded

),

final as (

    select
        cast(group_level as {{ text_type() }}) as group_level,
        cast(group_name as {{ text_type() }}) as group_name,
        cast(comparison as {{ text_type() }}) as comparison,
        month_start_date,
        base_month_start_date,
        is_complete_comparison,
        cast(base_units_sold as bigint) as base_units_sold,
        cast(units_sold as bigint) as units_sold,
        cast(continuing_product_count as integer) as continuing_product_count,
        cast(new_product_count as integer) as new_product_count,
        cast(lost_product_count as integer) as lost_product_count,
        cast(base_net_revenue as numeric(18, 2)) as base_net_revenue,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(revenue_change as numeric(18, 2)) as revenue_change,
        cast(volume_effect as numeric(18, 2)) as volume_effect,
        cast(price_effect as numeric(18, 2)) as price_effect,
        cast(mix_effect as numeric(18, 2)) as mix_effect,
        cast(new_products_effect as numeric(18, 2)) as new_products_effect,
        cast(lost_products_effect as numeric(18, 2)) as lost_products_effect,
        cast(returns_effect as numeric(18, 2)) as returns_effect,
        cast(
            case when {{ with_costs }} then base_cost_of_goods end
            as numeric(18, 2)
        ) as base_cost_of_goods,
        cast(
            case when {{ with_costs }} then cost_of_goods end
            as numeric(18, 2)
        ) as cost_of_goods,
        cast(
            case when {{ with_costs }} then base_gross_margin end
            as numeric(18, 2)
        ) as base_gross_margin,
        cast(
            case when {{ with_costs }} then gross_margin end
            as numeric(18, 2)
        ) as gross_margin,
        cast(
            case when {{ with_costs }} then gross_margin_change end
            as numeric(18, 2)
        ) as gross_margin_change,
        cast(
            case when {{ with_costs }} then cost_effect end
            as numeric(18, 2)
        ) as cost_effect,
        cast(
            case when {{ with_costs }} then margin_volume_effect end
            as numeric(18, 2)
        ) as margin_volume_effect,
        cast(
            case when {{ with_costs }} then margin_mix_effect end
            as numeric(18, 2)
        ) as margin_mix_effect,
        cast(
            case when {{ with_costs }} then margin_new_products_effect end
            as numeric(18, 2)
        ) as margin_new_products_effect,
        cast(
            case when {{ with_costs }} then margin_lost_products_effect end
            as numeric(18, 2)
        ) as margin_lost_products_effect,
        cast(
            case when {{ with_costs }} then margin_returns_effect end
            as numeric(18, 2)
        ) as margin_returns_effect,
        cast(last_load_id as integer) as last_load_id
    from effects_completed

)

select * from final

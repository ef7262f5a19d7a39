-- mart_revenue_bridge against the monthly facts, to the cent: a total row's
-- net_revenue and base_net_revenue are mart_sales_monthly's for its two
-- months, a country row's are mart_country_monthly's, and each month's
-- country and product_type rows add up to its total row in revenue_change
-- and returns_effect (within a cent a group: each row rounds its revenues;
-- new and lost products and the price-volume-mix split depend on the group,
-- so they do not add up). A month pair without a total row had no revenue
-- in either month. Returns the breaks.
with

mart_revenue_bridge as (

    select * from {{ ref('mart_revenue_bridge') }}

),

mart_sales_monthly as (

    select * from {{ ref('mart_sales_monthly') }}

),

mart_country_monthly as (

    select * from {{ ref('mart_country_monthly') }}

),

totals as (

    select *
    from mart_revenue_bridge
    where group_level = 'total'

),

-- Every month pair of the data, for the months without a total row.
month_pairs as (

    {% for comparison, months_back in [
        ('previous_month', 1), ('same_month_last_year', 12)
    ] -%}
    select
        '{{ comparison }}' as comparison,
        current_months.month_start_date,
        base_months.month_start_date as base_month_start_date,
        current_months.net_revenue,
        base_months.net_revenue as base_net_revenue
    from mart_sales_monthly as current_months
    inner join mart_sales_monthly as base_months
        on
            base_months.month_start_date
            = cast({{ dbt.dateadd(
                'month', -months_back, 'current_months.month_start_date'
            ) }} as date)
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

total_breaks as (

    select
        'total' as group_level,
        month_pairs.comparison,
        month_pairs.month_start_date,
        'total row vs mart_sales_monthly' as problem
    from month_pairs
    left join totals
        on
            month_pairs.comparison = totals.comparison
            and month_pairs.month_start_date = totals.month_start_date
    where
        coalesce(totals.net_revenue, 0) <> month_pairs.net_revenue
        or coalesce(totals.base_net_revenue, 0) <> month_pairs.base_net_revenue
        or (
            totals.month_start_date is not null
            and totals.base_month_start_date
            <> month_pairs.base_month_start_date
        )

),

country_breaks as (

    select
        'country' as group_level,
        mart_revenue_bridge.comparison,
        mart_revenue_bridge.month_start_date,
        'country row vs mart_country_monthly' as problem
    from mart_revenue_bridge
    left join mart_country_monthly as current_months
        on
            mart_revenue_bridge.group_name = current_months.country_code
            and mart_revenue_bridge.month_start_date
            = current_months.month_start_date
    left join mart_country_monthly as base_months
        on
            mart_revenue_bridge.group_name = base_months.country_code
            and mart_revenue_bridge.base_month_start_date
            = base_months.month_start_date
    where
        mart_revenue_bridge.group_level = 'country'
        and (
            mart_revenue_bridge.net_revenue
            <> coalesce(current_months.net_revenue, 0)
            or mart_revenue_bridge.base_net_revenue
            <> coalesce(base_months.net_revenue, 0)
        )

),

levels_summed as (

    select
        group_level,
        comparison,
        month_start_date,
        count(*) as group_count,
        sum(revenue_change) as revenue_change,
        sum(returns_effect) as returns_effect
    from mart_revenue_bridge
    where group_level <> 'total'
    group by 1, 2, 3

),

level_breaks as (

    select
        levels_summed.group_level,
        levels_summed.comparison,
        levels_summed.month_start_date,
        'groups do not add up to the total' as problem
    from levels_summed
    left join totals
        on
            levels_summed.comparison = totals.comparison
            and levels_summed.month_start_date = totals.month_start_date
    where
        totals.month_start_date is null
        or abs(levels_summed.revenue_change - totals.revenue_change)
        > 0.01 * levels_summed.group_count
        or abs(levels_summed.returns_effect - totals.returns_effect)
        > 0.01 * levels_summed.group_count

)

select * from total_breaks
union all
select * from country_breaks
union all
select * from level_breaks

{%- set months = var('top_customers_trailing_months') -%}

with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

dim_countries as (

    select * from {{ ref('dim_countries') }}

),

dim_customers as (

    select * from {{ ref('dim_customers') }}

),

-- The trailing window ends on the last invoice date in the data and covers
-- the {{ months }} months before it.
window_bounds as (

    select
        max(invoice_date) as window_end_date,
        cast(
            {{ dbt.dateadd('month', -1 * months, 'max(invoice_date)') }}
            as date
        ) as window_start_date
    from fct_invoices

),

trailing_revenue as (

    select
        fct_invoices.customer_id,
        sum(fct_invoices.product_amount) as trailing_net_revenue,
        sum(
            case when fct_invoices.is_purchase then 1 else 0 end
        ) as trailing_order_count
    from fct_invoices
    cross join window_bounds
    where
        fct_invoices.customer_id is not null
        and fct_invoices.invoice_date > window_bounds.window_start_date
        and fct_invoices.invoice_date <= window_bounds.window_end_date
    group by 1

),

-- Ranked by trailing net revenue, ties by customer id; only customers with
-- positive trailing revenue are ranked.
ranked as (

    select
        trailing_revenue.*,
        row_number() over (
            order by
                trailing_revenue.trailing_net_revenue desc,
                trailing_revenue.customer_id asc
        ) as revenue_rank,
        count(*) over () as ranked_customers
    from trailing_revenue
    where trailing_revenue.trailing_net_revenue > 0

),

final as (

    select
        ranked.customer_id,
        dim_customers.country_code,
        dim_countries.country_name,
        cast(ranked.revenue_rank as integer) as revenue_rank,
        {{ divide_rounded(
            'ranked.revenue_rank', 'ranked.ranked_customers', 6, 9
        ) }} as top_share,
        cast(
            case
                when
                    ranked.revenue_rank
                    <= ceiling(
                        ranked.ranked_customers
                        * {{ var('loyalty_tier_platinum_pct') }} / 100.0
                    )
                    then 'platinum'
                when
                    ranked.revenue_rank
                    <= ceiling(
                        ranked.ranked_customers
                        * {{ var('loyalty_tier_gold_pct') }} / 100.0
                    )
                    then 'gold'
                when
                    ranked.revenue_rank
                    <= ceiling(
                        ranked.ranked_customers
                        * {{ var('loyalty_tier_silver_pct') }} / 100.0
                    )
                    then 'silver'
                else 'standard'
            end as {{ dbt.type_string() }}
        ) as loyalty_tier,
        cast(ranked.trailing_net_revenue as numeric(18, 2))
            as trailing_net_revenue,
        cast(ranked.trailing_order_count as integer) as trailing_order_count,
        dim_customers.net_revenue as lifetime_net_revenue,
        dim_customers.order_count as lifetime_order_count,
        dim_customers.first_purchase_date,
        dim_customers.last_purchase_date,
        window_bounds.window_start_date,
        window_bounds.window_end_date
    from ranked
    inner join dim_customers
        on ranked.customer_id = dim_customers.customer_id
    cross join window_bounds
    left join dim_countries
        on dim_customers.country_code = dim_countries.country_code

)

select * from final

with

fct_invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

dim_products as (

    select * from {{ ref('dim_products') }}

),

products_aggregated as (

    select
        product_id,
        sum(line_amount) as net_revenue,
        sum(
            case when invoice_kind = 'sale' then line_amount else 0 end
        ) as gross_sales,
        sum(
            case when invoice_kind = 'cancellation' then -line_amount else 0 end
        ) as cancelled_amount,
        sum(case when invoice_kind = 'sale' then quantity else 0 end)
            as units_sold,
        sum(case when invoice_kind = 'cancellation' then -quantity else 0 end)
            as units_cancelled,
        sum(case when invoice_kind = 'sale' then 1 else 0 end) as sale_lines,
        sum(case when invoice_kind = 'cancellation' then 1 else 0 end)
            as cancellation_lines,
        count(
            distinct case when invoice_kind = 'sale' then invoice_id end
        ) as invoice_count,
        count(
            distinct case when invoice_kind = 'sale' then customer_id end
        ) as customer_count
    from fct_invoice_lines
    where is_product
    group by 1

),

-- Revenue that counts towards the ABC shares: the product's net revenue
-- when positive, else 0.
products_counted as (

    select
        products_aggregated.*,
        case
            when products_aggregated.net_revenue > 0
                then products_aggregated.net_revenue
            else 0
        end as positive_net_revenue
    from products_aggregated

),

-- Pareto (ABC) classes (macro abc_class): products by net revenue, largest
-- first (ties by product id).
products_ranked as (

    select
        products_counted.*,
        row_number() over (
            order by
                products_counted.net_revenue desc,
                products_counted.product_id asc
        ) as revenue_rank,
        sum(products_counted.positive_net_revenue) over (
            order by
                products_counted.net_revenue desc,
                products_counted.product_id asc
            rows between unbounded preceding and 1 preceding
        ) as revenue_before,
        sum(products_counted.positive_net_revenue) over ()
            as total_positive_revenue
    from products_counted

),

final as (

    select
        products_ranked.product_id,
        dim_products.description,
        cast(products_ranked.revenue_rank as integer) as revenue_rank,
        {{ abc_class(
            'products_ranked.net_revenue',
            'products_ranked.revenue_before',
            'products_ranked.total_positive_revenue'
        ) }} as abc_class,
        cast(products_ranked.net_revenue as numeric(18, 2)) as net_revenue,
        cast(products_ranked.gross_sales as numeric(18, 2)) as gross_sales,
        cast(products_ranked.cancelled_amount as numeric(18, 2))
            as cancelled_amount,
        {{ divide_rounded(
            'coalesce(products_ranked.revenue_before, 0)'
            ~ ' + products_ranked.positive_net_revenue',
            'products_ranked.total_positive_revenue',
            4,
            9
        ) }} as cumulative_revenue_share,
        cast(products_ranked.units_sold as bigint) as units_sold,
        cast(products_ranked.units_cancelled as bigint) as units_cancelled,
        cast(products_ranked.invoice_count as integer) as invoice_count,
        cast(products_ranked.customer_count as integer) as customer_count,
        {{ divide_rounded(
            'products_ranked.cancellation_lines',
            'products_ranked.sale_lines + products_ranked.cancellation_lines',
            4,
            9
        ) }} as cancellation_rate,
        dim_products.median_unit_price,
        dim_products.first_sold_at,
        dim_products.last_sold_at
    from products_ranked
    inner join dim_products
        on products_ranked.product_id = dim_products.product_id

)

select * from final

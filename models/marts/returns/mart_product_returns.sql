with

fct_invoice_lines as {{ not_materialized() }} (

    select * from {{ ref('fct_invoice_lines') }}

),

int_return_lines_matched as (

    select * from {{ ref('int_return_lines_matched') }}

),

dim_products as (

    select * from {{ ref('dim_products') }}

),

int_products_standardized as (

    select * from {{ ref('int_products_standardized') }}

),

-- Sales and returns of the product's lines (products only: postage, fees
-- and adjustments are not goods that come back).
products_aggregated as (

    select
        product_id,
        {{ line_measures([
            'gross_sales',
            'units_sold',
            'returned_amount',
            'units_returned',
            'net_revenue',
            'return_line_count',
            'return_customer_count',
        ]) }},
        count(
            distinct case
                when invoice_kind in ('sale', 'cancellation') then customer_id
            end
        ) as customer_count
    from fct_invoice_lines
    where is_product
    group by 1

),

-- The returns linked to a sale (int_return_lines_matched) and their days.
matches_aggregated as (

    select
        product_id,
        sum(case when is_matched then 1 else 0 end)
            as matched_return_line_count,
        sum(case when is_matched then returned_amount else 0 end)
            as matched_returned_amount,
        sum(days_to_return) as days_to_return_sum,
        max(days_to_return) as max_days_to_return
    from int_return_lines_matched
    group by 1

),

final as (

    select
        products_aggregated.product_id,
        dim_products.description,
        -- The product's type where the source has a product master (TPC-H);
        -- Online Retail II has none: one group, 'all products'.
        cast(
            coalesce(int_products_standardized.product_type, 'all products')
            as {{ dbt.type_string() }}
        ) as product_group,
        cast(products_aggregated.gross_sales as numeric(18, 2)) as gross_sales,
        cast(products_aggregated.units_sold as bigint) as units_sold,
        cast(products_aggregated.returned_amount as numeric(18, 2))
            as returned_amount,
        cast(products_aggregated.units_returned as bigint) as units_returned,
        cast(products_aggregated.net_revenue as numeric(18, 2)) as net_revenue,
        {{ divide_rounded(
            'products_aggregated.returned_amount',
            'products_aggregated.gross_sales',
            4
        ) }} as value_return_rate,
        {{ divide_rounded(
            'products_aggregated.units_returned',
            'products_aggregated.units_sold',
            4
        ) }} as unit_return_rate,
        cast(products_aggregated.customer_count as integer) as customer_count,
        cast(products_aggregated.return_customer_count as integer)
            as return_customer_count,
        {{ divide_rounded(
            'products_aggregated.return_customer_count',
            'products_aggregated.customer_count',
            4
        ) }} as return_customer_share,
        cast(products_aggregated.return_line_count as integer)
            as return_line_count,
        cast(
            coalesce(matches_aggregated.matched_return_line_count, 0)
            as integer
        ) as matched_return_line_count,
        cast(
            coalesce(matches_aggregated.matched_returned_amount, 0)
            as numeric(18, 2)
        ) as matched_returned_amount,
        {{ divide_rounded(
            'matches_aggregated.matched_returned_amount',
            'products_aggregated.returned_amount',
            4
        ) }} as matched_return_share,
        {{ divide_rounded(
            'matches_aggregated.days_to_return_sum',
            'matches_aggregated.matched_return_line_count',
            1
        ) }} as average_days_to_return,
        cast(matches_aggregated.max_days_to_return as integer)
            as max_days_to_return
    from products_aggregated
    inner join dim_products
        on products_aggregated.product_id = dim_products.product_id
    left join int_products_standardized
        on products_aggregated.product_id = int_products_standardized.product_id
    left join matches_aggregated
        on products_aggregated.product_id = matches_aggregated.product_id

)

select * from final

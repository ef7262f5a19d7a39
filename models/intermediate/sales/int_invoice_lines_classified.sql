with

stg_online_retail__invoice_lines as (

    select * from {{ ref('stg_online_retail__invoice_lines') }}

),

non_product_stock_codes as (

    select * from {{ ref('non_product_stock_codes') }}

),

country_codes as (

    select * from {{ ref('country_codes') }}

),

-- Exact duplicates: the same eight source values (on the typed, trimmed
-- columns; nulls compare equal in a window partition). The first copy in
-- load and file order is kept.
lines_numbered as (

    select
        *,
        row_number() over (
            partition by
                invoice_id,
                source_stock_code,
                description,
                quantity,
                invoiced_at,
                unit_price,
                customer_id,
                country
            order by load_id, source_row_number
        ) as copy_number
    from stg_online_retail__invoice_lines

),

lines_joined_to_codes as (

    select
        lines_numbered.*,
        non_product_stock_codes.line_category as non_product_category,
        non_product_stock_codes.revenue_group as non_product_group,
        country_codes.country_code
    from lines_numbered
    left join non_product_stock_codes
        on (
            non_product_stock_codes.match_type = 'exact'
            and lines_numbered.product_id = non_product_stock_codes.stock_code
        ) or (
            non_product_stock_codes.match_type = 'prefix'
            and substring(
                lines_numbered.product_id,
                1,
                length(non_product_stock_codes.stock_code)
            ) = non_product_stock_codes.stock_code
        )
    left join country_codes
        on lines_numbered.country = country_codes.country

),

-- The cleaning rules, in the order of the seed exclusion_reasons: a line
-- gets the first reason that matches, or none when it is kept.
lines_classified as (

    select
        *,
        case
            when
                {{ var('remove_duplicate_lines') }}
                and copy_number > 1
                then 'duplicate_line'
            when
                invoice_kind = 'sale'
                and unit_price = 0
                and customer_id is null
                then 'stock_adjustment'
            when unit_price = 0 then 'zero_price'
            when
                unit_price < 0
                and invoice_kind != 'adjustment'
                then 'negative_price'
            when
                (invoice_kind = 'sale' and quantity <= 0)
                or (invoice_kind = 'cancellation' and quantity >= 0)
                then 'quantity_sign_mismatch'
        end as exclusion_reason
    from lines_joined_to_codes

),

final as (

    select
        invoice_line_id,
        load_id,
        source_row_number,
        invoice_id,
        product_id,
        customer_id,
        country_code,
        source_stock_code,
        description,
        country,
        invoice_kind,
        coalesce(non_product_category, 'product') as line_category,
        coalesce(non_product_group, 'product') as revenue_group,
        exclusion_reason,
        quantity,
        unit_price,
        line_amount,
        copy_number,
        non_product_category is null as is_product,
        has_customer,
        is_cancellation,
        exclusion_reason is null as is_included,
        invoiced_at,
        invoice_date
    from lines_classified

)

select * from final

{{ config(**incremental_by_grain('invoice_line_id', partition_by='load_id')) }}

{%- set line_values = [
    'invoice_id', 'source_stock_code', 'description', 'quantity',
    'invoiced_at', 'unit_price', 'customer_id', 'country',
] %}

with

stg_online_retail__invoice_lines as {{ not_materialized() }} (

    select * from {{ ref('stg_online_retail__invoice_lines') }}

),

non_product_stock_codes as (

    select * from {{ ref('non_product_stock_codes') }}

),

country_codes as (

    select * from {{ ref('country_codes') }}

),

-- An incremental run classifies only the lines of new loads (see the macro
-- new_loads_after); the lines already classified are counted so a new
-- line that repeats one of them is known as a later copy.
new_lines as {{ not_materialized() }} (

    select * from stg_online_retail__invoice_lines
    {% if is_incremental() -%}
    where load_id > {{ new_loads_after() }}
    {%- endif %}

),

earlier_copies as (

    {% if is_incremental() -%}
    select
        {{ line_values | join(',\n        ') }},
        count(*) as copies
    from {{ this }}
    where load_id <= {{ new_loads_after() }}
    group by {{ line_values | join(', ') }}
    {%- else -%}
    select
        {% for column in line_values -%}
        new_lines.{{ column }},
        {% endfor -%}
        0 as copies
    from new_lines
    where 1 = 0
    {%- endif %}

),

-- Exact duplicates: the same eight source values (typed and trimmed; nulls
-- count as equal). The first copy in load and file order is kept; copies
-- classified in earlier runs count before the new ones.
lines_numbered as (

    select
        new_lines.*,
        coalesce(earlier_copies.copies, 0)
        + row_number() over (
            partition by
                new_lines.invoice_id,
                new_lines.source_stock_code,
                new_lines.description,
                new_lines.quantity,
                new_lines.invoiced_at,
                new_lines.unit_price,
                new_lines.customer_id,
                new_lines.country
            order by new_lines.load_id, new_lines.source_row_number
        ) as copy_number
    from new_lines
    -- Plain equality on every column so both engines can hash-join; the
    -- two nullable ones compare through a value they never take (loaded
    -- descriptions are never '', customer numbers never negative).
    left join earlier_copies
        on
            new_lines.invoice_id = earlier_copies.invoice_id
            and new_lines.source_stock_code = earlier_copies.source_stock_code
            and coalesce(new_lines.description, '')
            = coalesce(earlier_copies.description, '')
            and new_lines.quantity = earlier_copies.quantity
            and new_lines.invoiced_at = earlier_copies.invoiced_at
            and new_lines.unit_price = earlier_copies.unit_price
            and coalesce(new_lines.customer_id, -1)
            = coalesce(earlier_copies.customer_id, -1)
            and new_lines.country = earlier_copies.country

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

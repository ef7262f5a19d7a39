-- The floor's first step for Online Retail II (scripts/bench_floor.py,
-- docs/benchmark.md): the kept invoice lines, as plain DuckDB SQL written
-- once by hand. Same rules as stg_online_retail__invoice_lines and
-- int_invoice_lines_classified: typed and trimmed values, the first copy of
-- an exact duplicate (all eight values) in load and file order kept, then
-- the cleaning ladder (stock adjustments, zero and negative prices, quantity
-- signs), non-product codes by exact code or prefix, countries to ISO codes.
create or replace table floor_lines as
with typed as (
    select
        load_id,
        source_row_number,
        trim(invoice) as invoice_id,
        stock_code as source_stock_code,
        upper(trim(stock_code)) as product_id,
        nullif(trim(description), '') as description,
        cast(quantity as integer) as quantity,
        cast(invoice_date as timestamp) as invoiced_at,
        cast(price as numeric(18, 3)) as unit_price,
        cast(customer_id as integer) as customer_id,
        trim(country) as country,
        case upper(substring(trim(invoice), 1, 1))
            when 'C' then 'cancellation'
            when 'A' then 'adjustment'
            else 'sale'
        end as invoice_kind
    from raw_invoice_lines
),
numbered as (
    select
        *,
        row_number() over (
            partition by
                invoice_id, source_stock_code, description, quantity,
                invoiced_at, unit_price, customer_id, country
            order by load_id, source_row_number
        ) as copy_number
    from typed
),
classified as (
    select
        numbered.*,
        codes.line_category as non_product_category,
        codes.revenue_group as non_product_group,
        countries.country_code
    from numbered
    left join seed_non_product_stock_codes as codes
        on (codes.match_type = 'exact' and numbered.product_id = codes.stock_code)
        or (
            codes.match_type = 'prefix'
            and starts_with(numbered.product_id, codes.stock_code)
        )
    left join seed_country_codes as countries
        on numbered.country = countries.country
)
select
    invoice_id,
    invoice_kind,
    customer_id,
    country_code,
    coalesce(non_product_group, 'product') as revenue_group,
    non_product_category is null as is_product,
    quantity,
    cast(quantity * unit_price as numeric(18, 3)) as line_amount,
    invoiced_at
from classified
where
    copy_number = 1
    and not (invoice_kind = 'sale' and unit_price = 0 and customer_id is null)
    and unit_price != 0
    and not (unit_price < 0 and invoice_kind != 'adjustment')
    and not (invoice_kind = 'sale' and quantity <= 0)
    and not (invoice_kind = 'cancellation' and quantity >= 0);

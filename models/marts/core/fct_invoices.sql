{{ config(**incremental_by_grain('invoice_id')) }}

with

fct_invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

invoices_aggregated as (

    select
        invoice_id,
        -- An invoice has one customer, country and kind in the source;
        -- max() only picks that value. A few invoices span two minutes:
        -- the invoice time is its first line's.
        max(customer_id) as customer_id,
        max(country_code) as country_code,
        max(invoice_kind) as invoice_kind,
        count(*) as line_count,
        sum(case when is_product then 1 else 0 end) as product_line_count,
        sum(case when is_product then quantity else 0 end) as units,
        sum(
            case when revenue_group = 'product' then line_amount else 0 end
        ) as product_amount,
        sum(
            case when revenue_group = 'shipping' then line_amount else 0 end
        ) as shipping_amount,
        sum(
            case when revenue_group = 'fee' then line_amount else 0 end
        ) as fee_amount,
        sum(
            case when revenue_group = 'adjustment' then line_amount else 0 end
        ) as adjustment_amount,
        sum(
            case when revenue_group = 'other' then line_amount else 0 end
        ) as other_amount,
        sum(line_amount) as total_amount,
        min(invoiced_at) as invoiced_at,
        max(load_id) as last_load_id
    from fct_invoice_lines
    -- An incremental run rebuilds every invoice that has a line from a new
    -- load, from all of its lines: an invoice split across two extracts
    -- comes out whole. A full build reads every line once, unfiltered.
    where {{ in_affected_keys(
        'invoice_id', 'fct_invoice_lines', 'invoice_id', load_column='load_id'
    ) }}
    group by 1

),

final as (

    -- Text columns cast to one type, so PostgreSQL's text and varchar
    -- never differ between a full and an incremental run.
    select
        cast(invoice_id as {{ text_type() }}) as invoice_id,
        customer_id,
        cast(country_code as {{ text_type() }}) as country_code,
        cast(invoice_kind as {{ text_type() }}) as invoice_kind,
        cast(line_count as integer) as line_count,
        cast(product_line_count as integer) as product_line_count,
        cast(units as bigint) as units,
        cast(product_amount as numeric(18, 3)) as product_amount,
        cast(shipping_amount as numeric(18, 3)) as shipping_amount,
        cast(fee_amount as numeric(18, 3)) as fee_amount,
        cast(adjustment_amount as numeric(18, 3)) as adjustment_amount,
        cast(other_amount as numeric(18, 3)) as other_amount,
        cast(total_amount as numeric(18, 3)) as total_amount,
        customer_id is not null as has_customer,
        invoice_kind = 'cancellation' as is_cancellation,
        invoice_kind = 'sale' and product_line_count > 0 as is_purchase,
        invoiced_at,
        cast(invoiced_at as date) as invoice_date,
        cast(last_load_id as integer) as last_load_id
    from invoices_aggregated

)

select * from final

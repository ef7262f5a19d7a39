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
        min(invoiced_at) as invoiced_at
    from fct_invoice_lines
    group by 1

),

final as (

    select
        invoice_id,
        customer_id,
        country_code,
        invoice_kind,
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
        cast(invoiced_at as date) as invoice_date
    from invoices_aggregated

)

select * from final

{#-
    Every product return line of fct_invoice_lines with the sale it takes
    back, where the source links them. TPC-H: the credit note R<order> takes
    back lines of order <order>, so the sale is the order. Online Retail II:
    a C-invoice names no sale, so a line is matched to the latest earlier
    sale line of the same customer and product with at least as many units
    (the rule and its coverage: the YAML and docs/returns.md).
-#}
with

fct_invoice_lines as {{ not_materialized() }} (

    select * from {{ ref('fct_invoice_lines') }}

),

return_lines as (

    select
        invoice_line_id,
        invoice_id,
        customer_id,
        product_id,
        country_code,
        -quantity as units_returned,
        -line_amount as returned_amount,
        invoiced_at,
        invoice_date,
        load_id,
        source_row_number
    from fct_invoice_lines
    where is_product and invoice_kind = 'cancellation'

),

sale_lines as (

    select
        invoice_line_id,
        invoice_id,
        customer_id,
        product_id,
        quantity,
        invoiced_at,
        invoice_date,
        load_id,
        source_row_number
    from fct_invoice_lines
    where is_product and invoice_kind = 'sale'

),

{% if sales_source() == 'tpch' -%}

-- TPC-H: the order the credit note takes back; every line of an order has
-- the order's date, so the first one gives it.
sale_orders as (

    select
        invoice_id,
        min(invoice_date) as invoice_date
    from sale_lines
    group by 1

),

returns_matched as (

    select
        return_lines.*,
        sale_orders.invoice_id as sale_invoice_id,
        cast(null as {{ text_type() }}) as sale_invoice_line_id,
        sale_orders.invoice_date as sale_date,
        'order' as match_rule,
        case
            when sale_orders.invoice_id is null then 'no sale order'
        end as unmatched_reason
    from return_lines
    left join sale_orders
        on return_lines.invoice_id = 'R' || sale_orders.invoice_id

),

{%- else %}

-- Online Retail II: every sale line of the same customer and product
-- invoiced at or before the return is a candidate (times are to the
-- minute, so a sale in the same minute counts as earlier); those with at
-- least the returned units come first, then the latest (invoice time,
-- invoice number, then the line's place in its load: values only, so every
-- engine picks the same line).
-- A sale line may be the match of several return lines: nothing is used up.
candidates_ranked as (

    select
        return_lines.invoice_line_id as return_line_id,
        sale_lines.invoice_id as sale_invoice_id,
        sale_lines.invoice_line_id as sale_invoice_line_id,
        sale_lines.invoice_date as sale_date,
        sale_lines.quantity >= return_lines.units_returned as covers_units,
        row_number() over (
            partition by return_lines.invoice_line_id
            order by
                case
                    when sale_lines.quantity >= return_lines.units_returned
                        then 0
                    else 1
                end,
                sale_lines.invoiced_at desc,
                sale_lines.invoice_id desc,
                sale_lines.load_id desc,
                sale_lines.source_row_number desc
        ) as candidate_rank
    from return_lines
    inner join sale_lines
        on
            return_lines.customer_id = sale_lines.customer_id
            and return_lines.product_id = sale_lines.product_id
            and return_lines.invoiced_at >= sale_lines.invoiced_at

),

best_candidates as (

    select *
    from candidates_ranked
    where candidate_rank = 1

),

returns_matched as (

    select
        return_lines.*,
        case
            when best_candidates.covers_units
                then best_candidates.sale_invoice_id
        end as sale_invoice_id,
        case
            when best_candidates.covers_units
                then best_candidates.sale_invoice_line_id
        end as sale_invoice_line_id,
        case
            when best_candidates.covers_units
                then best_candidates.sale_date
        end as sale_date,
        'customer_product' as match_rule,
        case
            when return_lines.customer_id is null then 'no customer'
            when best_candidates.return_line_id is null
                then 'no earlier sale'
            when not best_candidates.covers_units
                then 'earlier sales smaller than the return'
        end as unmatched_reason
    from return_lines
    left join best_candidates
        on return_lines.invoice_line_id = best_candidates.return_line_id

),

{%- endif %}

final as (

    select
        invoice_line_id,
        invoice_id,
        customer_id,
        product_id,
        country_code,
        cast(units_returned as integer) as units_returned,
        cast(returned_amount as numeric(18, 3)) as returned_amount,
        invoiced_at,
        invoice_date,
        cast(sale_invoice_id as {{ text_type() }}) as sale_invoice_id,
        cast(sale_invoice_line_id as {{ text_type() }})
            as sale_invoice_line_id,
        sale_date,
        cast(
            {{ dbt.datediff(
                'sale_date',
                'invoice_date',
                'day'
            ) }} as integer
        ) as days_to_return,
        sale_invoice_id is not null as is_matched,
        cast(match_rule as {{ text_type() }}) as match_rule,
        cast(unmatched_reason as {{ text_type() }}) as unmatched_reason,
        load_id,
        source_row_number
    from returns_matched

)

select * from final

{#-
    The daily sales the forecast and its backtest read instead of the
    invoices: net revenue per invoice day and country, exact (three
    decimals), the SQL twin of retail_warehouse.ml.forecast.daily_sales.
-#}

with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

-- Every day and country with an invoice of any kind (so the first and last
-- rows are the data's first and last invoice days); net revenue = product
-- amount of sale and cancellation invoices, the invoices that count.
days_summarized as (

    select
        invoice_date,
        country_code,
        sum(
            case
                when invoice_kind in ('sale', 'cancellation')
                    then product_amount
                else 0
            end
        ) as net_revenue,
        sum(
            case
                when invoice_kind in ('sale', 'cancellation') then 1 else 0
            end
        ) as sales_invoice_count
    from fct_invoices
    group by 1, 2

),

final as (

    select
        invoice_date,
        country_code,
        cast(net_revenue as numeric(18, 3)) as net_revenue,
        cast(sales_invoice_count as integer) as sales_invoice_count
    from days_summarized

)

select * from final

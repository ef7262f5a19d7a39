with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

-- Reference date: the var rfm_reference_date, or the day after the last
-- invoice in the data. The window (var rfm_window_months) ends the day
-- before it; window_start_date is null for all history.
invoice_bounds as (

    select max(invoice_date) as last_invoice_date
    from fct_invoices

),

reference_dates as (

    select {{ rfm_reference_date('last_invoice_date') }} as reference_date
    from invoice_bounds

),

periods as (

    select
        reference_date,
        {{ rfm_window_start_date('reference_date') }} as window_start_date
    from reference_dates

),

-- Product money of an identified customer's sales and cancellations in the
-- window: net revenue as everywhere else. Bad-debt adjustments, postage and
-- fees are not in it.
customer_invoices_in_window as (

    select
        fct_invoices.customer_id,
        fct_invoices.invoice_date,
        fct_invoices.is_purchase,
        fct_invoices.product_amount
    from fct_invoices
    cross join periods
    where
        fct_invoices.customer_id is not null
        and fct_invoices.invoice_kind in ('sale', 'cancellation')
        and fct_invoices.invoice_date < periods.reference_date
        and (
            periods.window_start_date is null
            or fct_invoices.invoice_date >= periods.window_start_date
        )

),

customers_aggregated as (

    select
        customer_id,
        min(case when is_purchase then invoice_date end) as first_purchase_date,
        max(case when is_purchase then invoice_date end) as last_purchase_date,
        sum(case when is_purchase then 1 else 0 end) as purchase_count,
        sum(product_amount) as net_revenue
    from customer_invoices_in_window
    group by 1

),

-- A customer is scored when they have at least one purchase in the window.
customers_measured as (

    select
        customers_aggregated.customer_id,
        periods.reference_date,
        periods.window_start_date,
        customers_aggregated.first_purchase_date,
        customers_aggregated.last_purchase_date,
        cast(
            {{ dbt.datediff(
                'customers_aggregated.last_purchase_date',
                'periods.reference_date',
                'day'
            ) }} as integer
        ) as recency_days,
        cast(customers_aggregated.purchase_count as integer) as frequency,
        cast(customers_aggregated.net_revenue as numeric(18, 2)) as monetary
    from customers_aggregated
    cross join periods
    where customers_aggregated.purchase_count > 0

),

value_edges as (

    select
        {{ rfm_quantile_edges('recency_days', 'recency') }},
        {{ rfm_quantile_edges('frequency', 'frequency') }},
        {{ rfm_quantile_edges('monetary', 'monetary') }}
    from customers_measured

),

customers_scored as (

    select
        customers_measured.customer_id,
        customers_measured.reference_date,
        customers_measured.window_start_date,
        customers_measured.first_purchase_date,
        customers_measured.last_purchase_date,
        customers_measured.recency_days,
        customers_measured.frequency,
        customers_measured.monetary,
        {{ rfm_scores('customers_measured', 'value_edges') }}
    from customers_measured
    cross join value_edges

),

final as (

    select
        customers_scored.customer_id,
        customers_scored.reference_date,
        customers_scored.window_start_date,
        cast(
            '{{ rfm_frequency_binning() }}' as {{ dbt.type_string() }}
        ) as frequency_binning,
        customers_scored.first_purchase_date,
        customers_scored.last_purchase_date,
        customers_scored.recency_days,
        customers_scored.frequency,
        customers_scored.monetary,
        cast(customers_scored.r_score as integer) as r_score,
        cast(customers_scored.f_score as integer) as f_score,
        cast(customers_scored.m_score as integer) as m_score,
        cast(customers_scored.r_score as {{ dbt.type_string() }})
        || cast(customers_scored.f_score as {{ dbt.type_string() }})
        || cast(customers_scored.m_score as {{ dbt.type_string() }})
            as rfm_cell,
        cast(
            customers_scored.r_score
            + customers_scored.f_score
            + customers_scored.m_score
            as integer
        ) as rfm_score,
        rfm_segments.segment
    from customers_scored
    left join rfm_segments
        on
            customers_scored.r_score = rfm_segments.r_score
            and customers_scored.f_score = rfm_segments.f_score

)

select * from final

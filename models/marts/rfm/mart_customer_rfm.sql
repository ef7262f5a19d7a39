with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

int_source_lines_classified as (

    select * from {{ ref('int_source_lines_classified') }}

),

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

{#- var rfm_definition: warehouse (the house rules) or classic (the
    published notebook recipe, which always ranks frequency; the rules:
    _rfm__docs.md, rfm_classic). #}
{%- set binning = 'rank' if rfm_definition() == 'classic'
    else rfm_frequency_binning() %}

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

-- Recency, frequency and monetary of each identified customer with a
-- purchase in the window: net revenue of product money, as everywhere else,
-- or with rfm_definition = classic every line of positive quantity and price.
-- Both are written out so both engines check both; the constant filter keeps
-- one (the planner drops the other branch unread).
customers_measured_warehouse as (

    {{ rfm_customers_measured('fct_invoices', 'periods') }}

),

-- The classic recipe reads every raw line (cleaning rules or not), in the
-- invoice names of its macro.
source_lines as (

    select
        order_id as invoice_id,
        customer_id,
        quantity,
        unit_price,
        order_date as invoice_date
    from int_source_lines_classified

),

customers_measured_classic as (

    {{ rfm_customers_measured_classic('source_lines', 'periods') }}

),

customers_measured as (

    select * from customers_measured_warehouse
    where '{{ rfm_definition() }}' = 'warehouse'
    union all
    select * from customers_measured_classic
    where '{{ rfm_definition() }}' = 'classic'

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
        {{ rfm_scores(
            'customers_measured', 'value_edges', frequency_binning=binning
        ) }}
    from customers_measured
    cross join value_edges

),

final as (

    select
        customers_scored.customer_id,
        customers_scored.reference_date,
        customers_scored.window_start_date,
        cast(
            '{{ rfm_definition() }}' as {{ dbt.type_string() }}
        ) as rfm_definition,
        cast('{{ binning }}' as {{ dbt.type_string() }}) as frequency_binning,
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

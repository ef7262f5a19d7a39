-- The floor's core marts from floor_lines (scripts/bench_floor.py,
-- docs/benchmark.md), as plain DuckDB SQL written once by hand: invoices,
-- monthly sales, customers and RFM with the warehouse's definitions
-- (fct_invoices, mart_sales_monthly, dim_customers, mart_customer_rfm with
-- its defaults: all history, quantile scoring). Its results equal those
-- marts (tests/python/integration/test_bench_floor.py).
create or replace table floor_invoices as
select
    invoice_id,
    max(customer_id) as customer_id,
    max(country_code) as country_code,
    max(invoice_kind) as invoice_kind,
    cast(count(*) as integer) as line_count,
    cast(sum(case when is_product then quantity else 0 end) as bigint) as units,
    cast(
        sum(case when revenue_group = 'product' then line_amount else 0 end)
        as numeric(18, 3)
    ) as product_amount,
    cast(sum(line_amount) as numeric(18, 3)) as total_amount,
    min(invoiced_at) as invoiced_at,
    max(invoice_kind) = 'sale' and sum(case when is_product then 1 else 0 end) > 0
        as is_purchase
from floor_lines
group by invoice_id;

create or replace table floor_sales_monthly as
select
    cast(date_trunc('month', invoiced_at) as date) as month_start_date,
    cast(sum(product_amount) as numeric(18, 2)) as net_revenue,
    cast(sum(case when is_purchase then product_amount else 0 end) as numeric(18, 2))
        as gross_sales,
    cast(
        sum(case when invoice_kind = 'cancellation' then -product_amount else 0 end)
        as numeric(18, 2)
    ) as cancelled_amount,
    sum(case when is_purchase then 1 else 0 end) as order_count,
    sum(case when is_purchase then units else 0 end) as units_sold,
    count(distinct case when is_purchase then customer_id end) as active_customer_count
from floor_invoices
group by 1;

create or replace table floor_customers as
with countries as (
    select customer_id, country_code
    from floor_invoices
    where customer_id is not null
    group by customer_id, country_code
    qualify row_number() over (
        partition by customer_id
        order by count(*) desc, max(invoiced_at) desc, country_code
    ) = 1
)
select
    invoices.customer_id,
    any_value(countries.country_code) as country_code,
    cast(sum(case when invoices.is_purchase then 1 else 0 end) as integer) as order_count,
    cast(
        sum(case when invoices.invoice_kind = 'sale' then invoices.product_amount else 0 end)
        as numeric(18, 2)
    ) as gross_sales,
    cast(sum(invoices.product_amount) as numeric(18, 2)) as net_revenue,
    min(case when invoices.is_purchase then invoices.invoiced_at end) as first_purchase_at,
    max(case when invoices.is_purchase then invoices.invoiced_at end) as last_purchase_at
from floor_invoices as invoices
inner join countries on invoices.customer_id = countries.customer_id
group by invoices.customer_id;

create or replace table floor_customer_rfm as
with reference as (
    select cast(max(invoiced_at) as date) + 1 as reference_date
    from floor_invoices
),
measured as (
    select
        invoices.customer_id,
        cast(
            reference.reference_date
            - max(case when invoices.is_purchase then cast(invoices.invoiced_at as date) end)
            as integer
        ) as recency_days,
        cast(sum(case when invoices.is_purchase then 1 else 0 end) as integer) as frequency,
        cast(sum(invoices.product_amount) as numeric(18, 2)) as monetary
    from floor_invoices as invoices
    cross join reference
    where
        invoices.customer_id is not null
        and invoices.invoice_kind in ('sale', 'cancellation')
        and cast(invoices.invoiced_at as date) < reference.reference_date
    group by invoices.customer_id, reference.reference_date
    having sum(case when invoices.is_purchase then 1 else 0 end) > 0
),
edges as (
    select
        cast(quantile_cont(recency_days, [0.2, 0.4, 0.6, 0.8]) as numeric(18, 4)[])
            as recency,
        cast(quantile_cont(frequency, [0.2, 0.4, 0.6, 0.8]) as numeric(18, 4)[])
            as frequency,
        cast(quantile_cont(monetary, [0.2, 0.4, 0.6, 0.8]) as numeric(18, 4)[])
            as monetary
    from measured
)
select
    measured.customer_id,
    measured.recency_days,
    measured.frequency,
    measured.monetary,
    5 - len(list_filter(edges.recency, lambda edge: measured.recency_days > edge)) as r_score,
    1 + len(list_filter(edges.frequency, lambda edge: measured.frequency > edge)) as f_score,
    case
        when measured.monetary <= 0 then 1
        else 1 + len(list_filter(edges.monetary, lambda edge: measured.monetary > edge))
    end as m_score
from measured
cross join edges;

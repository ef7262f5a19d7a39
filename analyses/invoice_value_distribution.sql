-- What does a typical order look like, and which orders are outliers?
with

mart_invoice_value_distribution as (

    select * from {{ ref('mart_invoice_value_distribution') }}

)

select
    period,
    invoice_count,
    p5_amount,
    p25_amount,
    median_amount,
    p75_amount,
    p95_amount,
    p99_amount,
    mean_amount,
    max_amount,
    outlier_count,
    outlier_threshold
from mart_invoice_value_distribution
order by period_type desc, period asc

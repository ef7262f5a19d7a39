{#-
    The cutoffs the ML models measure customers at: the scoring cutoff (the
    last invoice day) and the training and backtest cutoffs one horizon
    apart before it (retail_warehouse.ml.customer_models: the models train
    at T - H back ml_training_windows cutoffs, and the EVALUATION_FOLDS
    backtest folds test at T - H .. T - 3H, each training further back).
-#}

{#- customer_models.EVALUATION_FOLDS: the Python backtest has that many
    folds and refuses a table without the cutoffs it needs. -#}
{%- set backtest_folds = 3 -%}
{%- set horizon_days = var('ml_horizon_days') | int -%}
{%- set training_windows = [var('ml_training_windows') | int, 1] | max -%}

with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

-- The calendar of the data: the first and last invoice day of any kind and
-- customer, and of the invoices with a customer.
calendar as (

    select
        min(invoice_date) as first_invoice_date,
        max(invoice_date) as last_invoice_date,
        min(
            case when customer_id is not null then invoice_date end
        ) as first_customer_invoice_date,
        max(
            case when customer_id is not null then invoice_date end
        ) as last_customer_invoice_date
    from fct_invoices

),

-- Cutoff k is k horizons before the last invoice day (k = 0: scoring).
cutoffs_listed as (
    {%- for cutoff_index in range(backtest_folds + training_windows + 1) %}

    select
        {{ cutoff_index }} as cutoff_index,
        cast(
            {{ dbt.dateadd(
                'day',
                -cutoff_index * horizon_days,
                'calendar.last_invoice_date'
            ) }} as date
        ) as cutoff_date,
        cast(
            {{ dbt.dateadd(
                'day',
                horizon_days - cutoff_index * horizon_days,
                'calendar.last_invoice_date'
            ) }} as date
        ) as horizon_end_date
    from calendar
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        cast(cutoffs_listed.cutoff_index as integer) as cutoff_index,
        cutoffs_listed.cutoff_date,
        cutoffs_listed.horizon_end_date,
        cutoffs_listed.cutoff_index = 0 as is_scoring_cutoff,
        cast({{ horizon_days }} as integer) as horizon_days,
        calendar.first_invoice_date,
        calendar.last_invoice_date,
        calendar.first_customer_invoice_date,
        calendar.last_customer_invoice_date
    from cutoffs_listed
    cross join calendar
    where cutoffs_listed.cutoff_date >= calendar.first_invoice_date

)

select * from final

-- One row per warehouse (a single row): when the models of ml_model_registry
-- were trained, on data up to which date, and whether the training lane is
-- due. A refresh (retail-warehouse build) scores with the registry's models
-- and trains again when this says so (docs/ml.md, "Two lanes").
with

ml_model_registry as (

    select * from {{ ref('ml_model_registry') }}

),

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

-- The two models are fitted together; the earliest values stand for both.
registry_summarised as (

    select
        min(model_version) as model_version,
        min(trained_at) as trained_at,
        min(as_of_date) as trained_through_date
    from ml_model_registry

),

invoices_summarised as (

    select max(invoice_date) as newest_invoice_date
    from fct_invoices

),

summarised as (

    select
        registry_summarised.model_version,
        registry_summarised.trained_at,
        registry_summarised.trained_through_date,
        invoices_summarised.newest_invoice_date,
        cast({{ dbt.datediff(
            'registry_summarised.trained_through_date',
            'invoices_summarised.newest_invoice_date',
            'day'
        ) }} as integer) as days_of_data_since_training
    from registry_summarised
    cross join invoices_summarised

),

final as (

    select
        model_version,
        trained_at,
        trained_through_date,
        newest_invoice_date,
        days_of_data_since_training,
        cast({{ var('ml_retrain_after_days') }} as integer)
            as retrain_after_days,
        days_of_data_since_training
        >= {{ var('ml_retrain_after_days') }} as is_training_due
    from summarised

)

select * from final

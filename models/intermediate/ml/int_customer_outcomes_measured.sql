{#-
    The labels the customer models learn and are backtested on: what each
    training customer did in the horizon after each training cutoff, the SQL
    twin of retail_warehouse.ml.features.future_labels.
-#}

with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

int_ml_cutoffs_listed as (

    select * from {{ ref('int_ml_cutoffs_listed') }}

),

int_customer_features_measured as (

    select * from {{ ref('int_customer_features_measured') }}

),

-- Every customer measured at a training cutoff, with the horizon after it.
customers_at_cutoffs as (

    select
        int_customer_features_measured.customer_id,
        int_ml_cutoffs_listed.cutoff_date,
        int_ml_cutoffs_listed.horizon_end_date
    from int_customer_features_measured
    inner join int_ml_cutoffs_listed
        on
            int_customer_features_measured.cutoff_date
            = int_ml_cutoffs_listed.cutoff_date
    where not int_ml_cutoffs_listed.is_scoring_cutoff

),

-- Purchases and net revenue (product amount of sale and cancellation
-- invoices) after the cutoff, up to and including its horizon's end.
invoices_in_horizon as (

    select
        customers_at_cutoffs.customer_id,
        customers_at_cutoffs.cutoff_date,
        sum(case when fct_invoices.is_purchase then 1 else 0 end)
            as order_count,
        sum(
            case
                when fct_invoices.invoice_kind in ('sale', 'cancellation')
                    then fct_invoices.product_amount
                else 0
            end
        ) as net_revenue
    from customers_at_cutoffs
    inner join fct_invoices
        on
            customers_at_cutoffs.customer_id = fct_invoices.customer_id
            and customers_at_cutoffs.cutoff_date < fct_invoices.invoice_date
            and customers_at_cutoffs.horizon_end_date
            >= fct_invoices.invoice_date
    group by 1, 2

),

final as (

    select
        cast(customers_at_cutoffs.customer_id as integer) as customer_id,
        customers_at_cutoffs.cutoff_date,
        cast(coalesce(invoices_in_horizon.order_count, 0) as integer)
            as future_order_count,
        cast(coalesce(invoices_in_horizon.net_revenue, 0) as numeric(18, 3))
            as future_net_revenue,
        coalesce(invoices_in_horizon.order_count, 0) > 0
            as has_future_purchase
    from customers_at_cutoffs
    left join invoices_in_horizon
        on
            customers_at_cutoffs.customer_id = invoices_in_horizon.customer_id
            and customers_at_cutoffs.cutoff_date
            = invoices_in_horizon.cutoff_date

)

select * from final

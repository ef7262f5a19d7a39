{#-
    The customer features of the ML models at each cutoff of
    int_ml_cutoffs_listed, computed in the engine so the Python models read
    one row per customer and cutoff, never the invoices: the SQL twin of
    retail_warehouse.ml.features.customer_features plus the BTYD summary
    statistics of retail_warehouse.ml.btyd.btyd_summary, in days. Every
    customer at the scoring cutoff; the training customers
    (ml_training_customers) at the training and backtest cutoffs.
-#}

{#- features.SPEND_WINDOWS and features.YEAR_DAYS: the column names carry
    them, so they are not vars. -#}
{%- set spend_windows = [30, 180, 365] -%}
{%- set year_days = 365 -%}
{%- set horizon_days = var('ml_horizon_days') | int -%}
{%- set last_year_days = [horizon_days, year_days] | min -%}
{#- features.PEAK_SEASON_MONTHS: the column name carries them. -#}
{%- set peak_season_months = [10, 11, 12] -%}

with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

int_ml_cutoffs_listed as (

    select * from {{ ref('int_ml_cutoffs_listed') }}

),

ml_training_customers as (

    select * from {{ ref('ml_training_customers') }}

),

-- The invoices of every customer at the scoring cutoff (the last invoice day
-- of any kind and customer, retail_warehouse.ml.frames.last_day), and of the
-- training customers only at the earlier cutoffs: training reads a bounded
-- sample, scoring every customer.
invoices_at_cutoffs as (

    select
        fct_invoices.customer_id,
        fct_invoices.invoice_kind,
        fct_invoices.is_purchase,
        fct_invoices.is_cancellation,
        fct_invoices.product_line_count,
        fct_invoices.product_amount,
        fct_invoices.invoice_date,
        int_ml_cutoffs_listed.cutoff_date
    from fct_invoices
    inner join int_ml_cutoffs_listed
        on fct_invoices.invoice_date <= int_ml_cutoffs_listed.cutoff_date
    left join ml_training_customers
        on fct_invoices.customer_id = ml_training_customers.customer_id
    where
        fct_invoices.customer_id is not null
        and (
            int_ml_cutoffs_listed.is_scoring_cutoff
            or ml_training_customers.customer_id is not null
        )

),

-- Every invoice of a customer on or before the cutoff, with its age in days
-- at the cutoff (0 = the cutoff day) and its net revenue (product amount
-- of sale and cancellation invoices, 0 for the other kinds).
invoices_before_cutoff as (

    select
        customer_id,
        cutoff_date,
        is_purchase,
        is_cancellation,
        product_line_count,
        product_amount,
        case
            when invoice_kind in ('sale', 'cancellation')
                then product_amount
            else 0
        end as net_amount,
        cast(
            {{ dbt.datediff('invoice_date', 'cutoff_date', 'day') }}
            as integer
        ) as days_before_cutoff
    from invoices_at_cutoffs

),

invoices_aggregated as (

    select
        customer_id,
        cutoff_date,
        sum(case when is_purchase then 1 else 0 end) as order_count,
        sum(case when is_cancellation then 1 else 0 end)
            as cancellation_count,
        sum(net_amount) as net_revenue,
        sum(case when is_purchase then product_amount else 0 end)
            as purchase_amount,
        sum(case when is_purchase then product_line_count else 0 end)
            as purchase_line_count,
        max(days_before_cutoff) as days_since_first_invoice,
        min(days_before_cutoff) as days_since_last_invoice,
        min(case when is_purchase then days_before_cutoff end)
            as days_since_last_purchase,
        sum(
            case
                when is_purchase and days_before_cutoff < {{ horizon_days }}
                    then 1
                else 0
            end
        ) as orders_previous_horizon,
        sum(
            case
                when days_before_cutoff < {{ horizon_days }} then net_amount
                else 0
            end
        ) as net_revenue_previous_horizon,
        {%- for window_days in spend_windows %}
        sum(
            case
                when days_before_cutoff < {{ window_days }} then net_amount
                else 0
            end
        ) as net_revenue_last_{{ window_days }}_days,
        {%- endfor %}
        -- The horizon after the cutoff, a year earlier.
        sum(
            case
                when
                    is_purchase
                    and days_before_cutoff < {{ year_days }}
                    and days_before_cutoff >= {{ year_days - last_year_days }}
                    then 1
                else 0
            end
        ) as orders_same_season_last_year,
        sum(
            case
                when
                    days_before_cutoff < {{ year_days }}
                    and days_before_cutoff >= {{ year_days - last_year_days }}
                    then net_amount
                else 0
            end
        ) as net_revenue_same_season_last_year
    from invoices_before_cutoff
    group by 1, 2

),

-- One row per customer and purchase day (several orders on a day are one
-- purchase, as in the BTYD papers), with the gap in days since the
-- customer's previous purchase day.
purchase_days as (

    select
        customer_id,
        cutoff_date,
        days_before_cutoff,
        sum(product_amount) as product_amount
    from invoices_before_cutoff
    where is_purchase
    group by 1, 2, 3

),

purchase_days_with_gaps as (

    select
        customer_id,
        cutoff_date,
        days_before_cutoff,
        product_amount,
        max(days_before_cutoff) over (
            partition by customer_id, cutoff_date
        ) as days_since_first_purchase,
        cast(
            lag(days_before_cutoff) over (
                partition by customer_id, cutoff_date
                order by days_before_cutoff desc
            ) - days_before_cutoff as bigint
        ) as gap_days
    from purchase_days

),

-- The gaps as whole-number sums (count, sum, sum of squares), so their
-- mean and population standard deviation are the same on every engine.
purchases_summarized as (

    select
        customer_id,
        cutoff_date,
        count(*) as purchase_day_count,
        max(days_since_first_purchase) as days_since_first_purchase,
        min(days_before_cutoff) as days_since_last_purchase,
        sum(
            case
                when days_before_cutoff < days_since_first_purchase
                    then product_amount
                else 0
            end
        ) as repeat_amount,
        count(gap_days) as gap_count,
        sum(gap_days) as gap_day_sum,
        sum(gap_days * gap_days) as gap_day_square_sum
    from purchase_days_with_gaps
    group by 1, 2

),

customers_joined as (

    select
        invoices_aggregated.*,
        -- A customer without purchases is as recent as their last invoice.
        coalesce(
            invoices_aggregated.days_since_last_purchase,
            invoices_aggregated.days_since_last_invoice
        ) as recency_days,
        cast(invoices_aggregated.order_count as {{ double_type() }})
            as order_count_double,
        purchases_summarized.purchase_day_count,
        purchases_summarized.days_since_first_purchase,
        purchases_summarized.repeat_amount,
        coalesce(purchases_summarized.gap_count, 0) as gap_count,
        purchases_summarized.gap_day_sum,
        purchases_summarized.gap_day_square_sum
    from invoices_aggregated
    left join purchases_summarized
        on
            invoices_aggregated.customer_id = purchases_summarized.customer_id
            and invoices_aggregated.cutoff_date
            = purchases_summarized.cutoff_date

),

-- Ratios in double precision, in the order of operations of the pandas
-- features (money / 1000 first, then / count), so both give the same bits.
features_computed as (

    select
        customer_id,
        cutoff_date,
        recency_days,
        order_count,
        net_revenue,
        days_since_first_invoice,
        case
            when order_count > 0
                then
                    cast(purchase_amount as {{ double_type() }})
                    / order_count_double
            else 0
        end as average_order_value,
        cast(cancellation_count as {{ double_type() }})
        / cast(
            case
                when order_count + cancellation_count > 0
                    then order_count + cancellation_count
                else 1
            end as {{ double_type() }}
        ) as cancellation_rate,
        case
            when order_count > 0
                then
                    cast(purchase_line_count as {{ double_type() }})
                    / order_count_double
            else 0
        end as product_breadth,
        orders_previous_horizon,
        net_revenue_previous_horizon,
        orders_same_season_last_year,
        net_revenue_same_season_last_year,
        case
            when gap_count > 0
                then
                    cast(gap_day_sum as {{ double_type() }})
                    / cast(gap_count as {{ double_type() }})
            else 0
        end as gap_mean_days,
        case
            when gap_count > 0
                then
                    sqrt(cast(
                        cast(gap_count as bigint) * gap_day_square_sum
                        - cast(gap_day_sum as bigint) * gap_day_sum
                        as {{ double_type() }}
                    ))
                    / cast(gap_count as {{ double_type() }})
            else 0
        end as gap_spread_days,
        {%- for window_days in spend_windows %}
        net_revenue_last_{{ window_days }}_days,
        {%- endfor %}
        case
            when purchase_line_count > 0
                then
                    cast(purchase_amount as {{ double_type() }})
                    / cast(purchase_line_count as {{ double_type() }})
            else 0
        end as avg_line_value,
        -- BTYD (btyd_summary), null without a purchase: x = purchase days
        -- - 1, t_x = last - first purchase day, T = cutoff - first purchase
        -- day + 1 (the cutoff day is observed whole).
        purchase_day_count - 1 as btyd_repeat_purchases,
        days_since_first_purchase
        - days_since_last_purchase as btyd_last_purchase_age_days,
        days_since_first_purchase + 1 as btyd_observed_age_days,
        case
            when purchase_day_count > 1
                then
                    cast(repeat_amount as {{ double_type() }})
                    / cast(purchase_day_count - 1 as {{ double_type() }})
            when purchase_day_count = 1 then 0
        end as btyd_mean_repeat_value
    from customers_joined

),

final as (

    select
        cast(customer_id as integer) as customer_id,
        cutoff_date,
        cast({{ horizon_days }} as integer) as horizon_days,
        cast(recency_days as integer) as recency_days,
        cast(order_count as integer) as frequency,
        cast(net_revenue as numeric(18, 3)) as monetary,
        cast(days_since_first_invoice as integer) as tenure_days,
        cast(average_order_value as {{ double_type() }})
            as average_order_value,
        cast(cancellation_rate as {{ double_type() }}) as cancellation_rate,
        cast(product_breadth as {{ double_type() }}) as product_breadth,
        cast(orders_previous_horizon as integer) as orders_previous_horizon,
        cast(net_revenue_previous_horizon as numeric(18, 3))
            as net_revenue_previous_horizon,
        cast(orders_same_season_last_year as integer)
            as orders_same_season_last_year,
        cast(net_revenue_same_season_last_year as numeric(18, 3))
            as net_revenue_same_season_last_year,
        cast(gap_mean_days as {{ double_type() }}) as gap_mean_days,
        cast(gap_spread_days as {{ double_type() }}) as gap_spread_days,
        -- Days since the last purchase over the mean gap (0 without one).
        case
            when gap_mean_days > 0
                then
                    cast(recency_days as {{ double_type() }})
                    / greatest(gap_mean_days, 1)
            else cast(0 as {{ double_type() }})
        end as recency_over_gap,
        {%- for window_days in spend_windows %}
        cast(net_revenue_last_{{ window_days }}_days as numeric(18, 3))
            as net_revenue_last_{{ window_days }}_days,
        {%- endfor %}
        cast(avg_line_value as {{ double_type() }}) as avg_line_value,
        -- The middle day of the horizon after the cutoff (cutoff + half the
        -- horizon, rounded down) is in the peak season, October to December.
        coalesce(
            cast(
                extract(
                    month from {{ dbt.dateadd(
                        'day', horizon_days // 2, 'cutoff_date'
                    ) }}
                ) as integer
            ) in ({{ peak_season_months | join(', ') }}),
            false
        ) as is_peak_season_horizon,
        cast(btyd_repeat_purchases as integer) as btyd_repeat_purchases,
        cast(btyd_last_purchase_age_days as integer)
            as btyd_last_purchase_age_days,
        cast(btyd_observed_age_days as integer) as btyd_observed_age_days,
        cast(btyd_mean_repeat_value as {{ double_type() }})
            as btyd_mean_repeat_value
    from features_computed

)

select * from final

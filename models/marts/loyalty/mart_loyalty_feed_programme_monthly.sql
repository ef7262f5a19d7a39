{#-
    The month spine must reach from the first to the last month the loader
    accepts (vars loyalty_feed_first_date and loyalty_feed_last_date): this
    many decimal digits of month offsets. A spine of fixed size silently cut
    the mart short (issue 27); tests/dbt/singular/
    assert_loyalty_feed_months_cover_the_feed.sql checks the coverage.
-#}
{%- set first_year = var('loyalty_feed_first_date')[:4] | int -%}
{%- set last_year = var('loyalty_feed_last_date')[:4] | int -%}
{%- set spine_digits = ((last_year - first_year + 1) * 12) | string | length -%}

with

int_loyalty_transactions_classified as (

    select * from {{ ref('int_loyalty_transactions_classified') }}

),

rules as (

    {{ loyalty_default_rules() }}

),

ledger as (

    select *
    from int_loyalty_transactions_classified
    where is_known_customer

),

month_bounds as (

    select
        cast({{ dbt.date_trunc('month', 'min(entry_date)') }} as date)
            as first_month_start_date,
        cast({{ dbt.date_trunc('month', 'max(entry_date)') }} as date)
            as last_month_start_date
    from ledger

),

month_offsets as (

    {{ whole_numbers(spine_digits) }}

),

month_spine as (

    select
        cast(
            {{ dbt.dateadd(
                'month',
                'month_offsets.n',
                'month_bounds.first_month_start_date'
            ) }} as date
        ) as month_start_date,
        month_bounds.last_month_start_date
    from month_bounds
    cross join month_offsets

),

revenue_monthly as (

    select
        cast({{ dbt.date_trunc('month', 'entry_date') }} as date)
            as month_start_date,
        sum(transaction_value) as net_revenue
    from ledger
    group by 1

),

-- The feed's sales are its transactions (refunds negative).
months as (

    select
        month_spine.month_start_date,
        coalesce(revenue_monthly.net_revenue, 0) as net_revenue
    from month_spine
    left join revenue_monthly
        on month_spine.month_start_date = revenue_monthly.month_start_date
    where month_spine.month_start_date <= month_spine.last_month_start_date

),

programme_monthly as (

    {{ loyalty_programme_monthly('ledger', 'rules', 'months') }}

),

final as (

    select
        month_start_date,
        points_issued,
        points_reversed,
        points_redeemed,
        points_expired,
        points_outstanding,
        outstanding_liability,
        rewards_redeemed,
        rewards_cost,
        net_revenue,
        rewards_cost_share,
        active_member_count,
        new_member_count,
        cumulative_member_count
    from programme_monthly

)

select * from final

-- mart_loyalty_feed_programme_monthly has one row for every month from the
-- first to the last month of the feed's ledger, no more and no fewer: its
-- month spine is generated, and a spine too short for the data (issue 27:
-- a transaction of 0001-01-01 gave 1,000 months, none of them real) would
-- otherwise pass every row test. Returns a row when the months disagree.
with

int_loyalty_transactions_classified as (

    select * from {{ ref('int_loyalty_transactions_classified') }}

),

mart_loyalty_feed_programme_monthly as (

    select * from {{ ref('mart_loyalty_feed_programme_monthly') }}

),

ledger_months as (

    select
        cast({{ dbt.date_trunc('month', 'min(entry_date)') }} as date)
            as first_month_start_date,
        cast({{ dbt.date_trunc('month', 'max(entry_date)') }} as date)
            as last_month_start_date
    from int_loyalty_transactions_classified
    where is_known_customer

),

expected as (

    select
        first_month_start_date,
        last_month_start_date,
        coalesce(
            {{ dbt.datediff(
                'first_month_start_date', 'last_month_start_date', 'month'
            ) }} + 1,
            0
        ) as month_count
    from ledger_months

),

found as (

    select
        min(month_start_date) as first_month_start_date,
        max(month_start_date) as last_month_start_date,
        count(*) as month_count
    from mart_loyalty_feed_programme_monthly

),

final as (

    select
        expected.first_month_start_date as expected_first_month,
        expected.last_month_start_date as expected_last_month,
        expected.month_count as expected_month_count,
        found.first_month_start_date as found_first_month,
        found.last_month_start_date as found_last_month,
        found.month_count as found_month_count
    from expected
    cross join found
    where
        expected.month_count <> found.month_count
        or expected.first_month_start_date <> found.first_month_start_date
        or expected.last_month_start_date <> found.last_month_start_date

)

select * from final

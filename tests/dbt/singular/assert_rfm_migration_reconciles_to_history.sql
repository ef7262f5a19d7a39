-- mart_segment_migration adds up to mart_customer_segment_history: at each
-- quarter-end, the customers moving into a segment equal the customers in
-- it that day, and those moving out of a segment equal the customers in it
-- at the previous quarter-end (new customers of the quarter: those at the
-- quarter-end who were not there before). Returns the counts that differ.
with

mart_customer_segment_history as (

    select * from {{ ref('mart_customer_segment_history') }}

),

mart_segment_migration as (

    select * from {{ ref('mart_segment_migration') }}

),

quarter_pairs as (

    select distinct
        quarter_end_date,
        previous_quarter_end_date
    from mart_segment_migration

),

arrivals_in_history as (

    select
        quarter_pairs.quarter_end_date,
        mart_customer_segment_history.segment,
        count(*) as customer_count
    from quarter_pairs
    inner join mart_customer_segment_history
        on
            quarter_pairs.quarter_end_date
            = mart_customer_segment_history.as_of_date
    group by 1, 2

),

departures_in_history as (

    select
        quarter_pairs.quarter_end_date,
        mart_customer_segment_history.segment,
        count(*) as customer_count
    from quarter_pairs
    inner join mart_customer_segment_history
        on
            quarter_pairs.previous_quarter_end_date
            = mart_customer_segment_history.as_of_date
    group by 1, 2

),

arrival_totals as (

    select
        quarter_end_date,
        sum(customer_count) as customer_count
    from arrivals_in_history
    group by 1

),

departure_totals as (

    select
        quarter_end_date,
        sum(customer_count) as customer_count
    from departures_in_history
    group by 1

),

new_in_history as (

    select
        arrival_totals.quarter_end_date,
        'New (no purchase yet)' as segment,
        arrival_totals.customer_count
        - coalesce(departure_totals.customer_count, 0) as customer_count
    from arrival_totals
    left join departure_totals
        on arrival_totals.quarter_end_date = departure_totals.quarter_end_date

),

arrivals_in_migration as (

    select
        quarter_end_date,
        to_segment as segment,
        sum(customer_count) as customer_count
    from mart_segment_migration
    group by 1, 2

),

departures_in_migration as (

    select
        quarter_end_date,
        from_segment as segment,
        sum(customer_count) as customer_count
    from mart_segment_migration
    group by 1, 2

),

expected as (

    select
        'into' as direction,
        quarter_end_date,
        segment,
        customer_count
    from arrivals_in_history
    union all
    select
        'out of' as direction,
        quarter_end_date,
        segment,
        customer_count
    from departures_in_history
    union all
    select
        'out of' as direction,
        quarter_end_date,
        segment,
        customer_count
    from new_in_history
    where customer_count > 0

),

actual as (

    select
        'into' as direction,
        quarter_end_date,
        segment,
        customer_count
    from arrivals_in_migration
    union all
    select
        'out of' as direction,
        quarter_end_date,
        segment,
        customer_count
    from departures_in_migration

),

final as (

    select
        coalesce(expected.direction, actual.direction) as direction,
        coalesce(expected.quarter_end_date, actual.quarter_end_date)
            as quarter_end_date,
        coalesce(expected.segment, actual.segment) as segment,
        cast(expected.customer_count as bigint) as expected_customers,
        cast(actual.customer_count as bigint) as actual_customers
    from expected
    full outer join actual
        on
            expected.direction = actual.direction
            and expected.quarter_end_date = actual.quarter_end_date
            and expected.segment = actual.segment
    where
        expected.customer_count is null
        or actual.customer_count is null
        or expected.customer_count != actual.customer_count

)

select * from final

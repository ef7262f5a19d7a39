with

mart_customer_segment_history as (

    select * from {{ ref('mart_customer_segment_history') }}

),

-- A quarter's position is its last snapshot: the quarter-end, or the last
-- data date in the quarter the data ends in.
quarter_ends as (

    select
        cast({{ dbt.date_trunc('quarter', 'as_of_date') }} as date)
            as quarter_start_date,
        max(as_of_date) as quarter_end_date
    from mart_customer_segment_history
    group by 1

),

quarter_pairs as (

    select
        quarter_start_date,
        quarter_end_date,
        lag(quarter_end_date) over (
            order by quarter_end_date
        ) as previous_quarter_end_date
    from quarter_ends

),

positions as (

    select
        mart_customer_segment_history.customer_id,
        mart_customer_segment_history.as_of_date,
        mart_customer_segment_history.segment
    from mart_customer_segment_history
    inner join quarter_ends
        on
            mart_customer_segment_history.as_of_date
            = quarter_ends.quarter_end_date

),

-- Every customer at a quarter-end, with where they were at the previous
-- one; customers whose first purchase came in between are 'New (no
-- purchase yet)'. The first quarter of the data has no previous one.
moves as (

    select
        quarter_pairs.quarter_start_date,
        quarter_pairs.quarter_end_date,
        quarter_pairs.previous_quarter_end_date,
        coalesce(
            previous_positions.segment, 'New (no purchase yet)'
        ) as from_segment,
        current_positions.segment as to_segment,
        current_positions.customer_id
    from quarter_pairs
    inner join positions as current_positions
        on quarter_pairs.quarter_end_date = current_positions.as_of_date
    left join positions as previous_positions
        on
            current_positions.customer_id = previous_positions.customer_id
            and quarter_pairs.previous_quarter_end_date
            = previous_positions.as_of_date
    where quarter_pairs.previous_quarter_end_date is not null

),

moves_counted as (

    select
        quarter_start_date,
        quarter_end_date,
        previous_quarter_end_date,
        from_segment,
        to_segment,
        count(*) as customer_count
    from moves
    group by 1, 2, 3, 4, 5

),

moves_with_totals as (

    select
        quarter_start_date,
        quarter_end_date,
        previous_quarter_end_date,
        from_segment,
        to_segment,
        customer_count,
        sum(customer_count) over (
            partition by quarter_end_date, from_segment
        ) as from_segment_customer_count
    from moves_counted

),

final as (

    select
        quarter_end_date,
        previous_quarter_end_date,
        quarter_end_date = cast(
            {{ dbt.dateadd(
                'day', -1, dbt.dateadd('month', 3, 'quarter_start_date')
            ) }} as date
        ) as is_complete_quarter,
        cast(from_segment as {{ dbt.type_string() }}) as from_segment,
        to_segment,
        from_segment = to_segment as is_same_segment,
        cast(customer_count as integer) as customer_count,
        cast(from_segment_customer_count as integer)
            as from_segment_customer_count,
        cast(
            {{ divide_rounded(
                'customer_count', 'from_segment_customer_count', 4
            ) }}
            as numeric(9, 4)
        ) as from_segment_share
    from moves_with_totals

)

select * from final

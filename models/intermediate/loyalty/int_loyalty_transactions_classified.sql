with

stg_loyalty__transactions as (

    select * from {{ ref('stg_loyalty__transactions') }}

),

stg_loyalty__customers as (

    select * from {{ ref('stg_loyalty__customers') }}

),

rules as (

    {{ loyalty_default_rules() }}

),

-- Each load is the whole programme as exported: the latest load of each
-- file is the current one.
latest_transaction_load as (

    select max(load_id) as load_id
    from stg_loyalty__transactions

),

latest_customer_load as (

    select max(load_id) as load_id
    from stg_loyalty__customers

),

known_customers as (

    select distinct stg_loyalty__customers.customer_id
    from stg_loyalty__customers
    inner join latest_customer_load
        on stg_loyalty__customers.load_id = latest_customer_load.load_id

),

current_transactions as (

    select stg_loyalty__transactions.*
    from stg_loyalty__transactions
    inner join latest_transaction_load
        on stg_loyalty__transactions.load_id = latest_transaction_load.load_id

),

-- What the earn rule gives for a purchase, and how the differential splits
-- into earned, reversed and redeemed points (earned - reversed - redeemed =
-- differential on every row; docs/loyalty.md).
transactions_split as (

    select
        current_transactions.*,
        known_customers.customer_id is not null as is_known_customer,
        case
            when current_transactions.transaction_value > 0
                then
                    cast(
                        floor(
                            current_transactions.transaction_value
                            * rules.points_per_currency_unit
                        ) as bigint
                    )
            else 0
        end as points_by_earn_rule,
        rules.points_per_reward,
        rules.reward_value
    from current_transactions
    cross join rules
    left join known_customers
        on current_transactions.customer_id = known_customers.customer_id

),

transactions_classified as (

    select
        *,
        case
            when transaction_value > 0
                then
                    case
                        when point_differential > points_by_earn_rule
                            then point_differential
                        else points_by_earn_rule
                    end
            when point_differential > 0 then point_differential
            else 0
        end as points_earned,
        case
            when transaction_value < 0 and point_differential < 0
                then -point_differential
            else 0
        end as points_reversed
    from transactions_split

),

final as (

    select
        transaction_id,
        customer_id,
        cast(
            row_number() over (
                partition by customer_id
                order by transacted_at, source_row_number
            ) as integer
        ) as entry_sequence,
        cast(
            case
                when transaction_value > 0 then 'earn'
                when transaction_value < 0 then 'reversal'
                when point_differential > 0 then 'bonus'
                else 'redemption'
            end as {{ dbt.type_string() }}
        ) as entry_type,
        cast('none' as {{ dbt.type_string() }}) as loyalty_tier,
        transaction_date as entry_date,
        transacted_at,
        transaction_value,
        value_cents,
        point_differential,
        cast(points_by_earn_rule as bigint) as points_by_earn_rule,
        cast(points_earned as bigint) as points_earned,
        cast(points_reversed as bigint) as points_reversed,
        cast(
            points_earned - points_reversed - point_differential as bigint
        ) as points_redeemed,
        {{ floor_divide(
            'points_earned - points_reversed - point_differential',
            'points_per_reward'
        ) }} as rewards_redeemed,
        cast(
            {{ loyalty_points_value(
                'points_earned - points_reversed - point_differential',
                'reward_value',
                'points_per_reward'
            ) }} as numeric(18, 2)
        ) as reward_value_redeemed,
        cast(0 as bigint) as points_expired,
        cast(
            sum(point_differential) over (
                partition by customer_id
                order by transacted_at, source_row_number
                rows between unbounded preceding and current row
            ) as bigint
        ) as points_balance,
        is_known_customer,
        source_file,
        source_row_number,
        load_id
    from transactions_classified

)

select * from final

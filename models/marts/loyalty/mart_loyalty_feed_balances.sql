with

int_loyalty_customers_filled as (

    select * from {{ ref('int_loyalty_customers_filled') }}

),

int_loyalty_transactions_classified as (

    select * from {{ ref('int_loyalty_transactions_classified') }}

),

rules as (

    {{ loyalty_default_rules() }}

),

-- Transactions of customers missing from customers.csv are left out here
-- (mart_loyalty_feed_discrepancies lists them).
ledger as (

    select *
    from int_loyalty_transactions_classified
    where is_known_customer

),

balances as (

    {{ loyalty_balances('ledger', 'rules') }}

),

final as (

    select
        int_loyalty_customers_filled.customer_id,
        int_loyalty_customers_filled.signup_date,
        cast(coalesce(balances.points_balance, 0) as bigint) as points_balance,
        cast(coalesce(balances.balance_liability, 0) as numeric(18, 2))
            as balance_liability,
        cast(coalesce(balances.lifetime_points_earned, 0) as bigint)
            as lifetime_points_earned,
        cast(coalesce(balances.points_reversed, 0) as bigint)
            as points_reversed,
        cast(coalesce(balances.points_redeemed, 0) as bigint)
            as points_redeemed,
        cast(coalesce(balances.points_expired, 0) as bigint) as points_expired,
        cast(coalesce(balances.rewards_redeemed, 0) as bigint)
            as rewards_redeemed,
        cast(coalesce(balances.rewards_value, 0) as numeric(18, 2))
            as rewards_value,
        cast(coalesce(balances.purchase_count, 0) as integer)
            as purchase_count,
        balances.first_activity_date,
        balances.last_activity_date,
        balances.last_purchase_date,
        int_loyalty_customers_filled.number_of_purchases,
        int_loyalty_customers_filled.value_of_purchases,
        int_loyalty_customers_filled.total_standard_points,
        int_loyalty_customers_filled.total_points_redeemed,
        int_loyalty_customers_filled.is_number_of_purchases_filled,
        int_loyalty_customers_filled.is_value_of_purchases_filled,
        int_loyalty_customers_filled.is_total_standard_points_filled,
        int_loyalty_customers_filled.is_total_points_redeemed_filled
    from int_loyalty_customers_filled
    left join balances
        on int_loyalty_customers_filled.customer_id = balances.customer_id

)

select * from final


-- Fixture for mart_loyalty_balances
select 
    
    cast(1 as integer)
 as "customer_id", 
    
    cast('gold' as text)
 as "loyalty_tier", 
    
    cast(120 as bigint)
 as "points_balance", cast(null as numeric(18,2)) as "balance_liability", cast(null as bigint) as "lifetime_points_earned", cast(null as bigint) as "points_reversed", cast(null as bigint) as "points_redeemed", cast(null as bigint) as "points_expired", cast(null as bigint) as "rewards_redeemed", cast(null as numeric(18,2)) as "rewards_value", cast(null as integer) as "purchase_count", cast(null as date) as "first_activity_date", cast(null as date) as "last_activity_date", cast(null as date) as "last_purchase_date"
union all
select 
    
    cast(3 as integer)
 as "customer_id", 
    
    cast('none' as text)
 as "loyalty_tier", 
    
    cast(-10 as bigint)
 as "points_balance", cast(null as numeric(18,2)) as "balance_liability", cast(null as bigint) as "lifetime_points_earned", cast(null as bigint) as "points_reversed", cast(null as bigint) as "points_redeemed", cast(null as bigint) as "points_expired", cast(null as bigint) as "rewards_redeemed", cast(null as numeric(18,2)) as "rewards_value", cast(null as integer) as "purchase_count", cast(null as date) as "first_activity_date", cast(null as date) as "last_activity_date", cast(null as date) as "last_purchase_date"
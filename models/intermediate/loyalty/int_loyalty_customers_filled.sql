with

stg_loyalty__customers as (

    select * from {{ ref('stg_loyalty__customers') }}

),

int_loyalty_transactions_classified as (

    select * from {{ ref('int_loyalty_transactions_classified') }}

),

latest_customer_load as (

    select max(load_id) as load_id
    from stg_loyalty__customers

),

-- The latest load's row of each customer; a customer listed twice in it
-- keeps its last line (mart_loyalty_feed_discrepancies reports it).
customers_ranked as (

    select
        stg_loyalty__customers.*,
        row_number() over (
            partition by stg_loyalty__customers.customer_id
            order by stg_loyalty__customers.source_row_number desc
        ) as line_rank
    from stg_loyalty__customers
    inner join latest_customer_load
        on stg_loyalty__customers.load_id = latest_customer_load.load_id

),

current_customers as (

    select *
    from customers_ranked
    where line_rank = 1

),

-- The summary columns computed from the transactions: purchases are the
-- transactions with a positive value; standard points are the running sum
-- of the differential; redeemed points come from the differential and the
-- earn rule (int_loyalty_transactions_classified).
transactions_summarised as (

    select
        customer_id,
        sum(
            case when transaction_value > 0 then 1 else 0 end
        ) as number_of_purchases,
        sum(
            case when transaction_value > 0 then transaction_value else 0 end
        ) as value_of_purchases,
        sum(point_differential) as total_standard_points,
        sum(points_redeemed) as total_points_redeemed,
        count(*) as transaction_count,
        min(entry_date) as first_transaction_date,
        max(entry_date) as last_transaction_date
    from int_loyalty_transactions_classified
    where is_known_customer
    group by 1

),

summaries_joined as (

    select
        current_customers.customer_id,
        current_customers.signup_date,
        current_customers.number_of_purchases as file_number_of_purchases,
        current_customers.value_of_purchases as file_value_of_purchases,
        current_customers.total_standard_points as file_total_standard_points,
        current_customers.total_points_redeemed as file_total_points_redeemed,
        coalesce(transactions_summarised.number_of_purchases, 0)
            as computed_number_of_purchases,
        coalesce(transactions_summarised.value_of_purchases, 0)
            as computed_value_of_purchases,
        coalesce(transactions_summarised.total_standard_points, 0)
            as computed_total_standard_points,
        coalesce(transactions_summarised.total_points_redeemed, 0)
            as computed_total_points_redeemed,
        coalesce(transactions_summarised.transaction_count, 0)
            as transaction_count,
        transactions_summarised.first_transaction_date,
        transactions_summarised.last_transaction_date,
        current_customers.source_file,
        current_customers.source_row_number,
        current_customers.load_id
    from current_customers
    left join transactions_summarised
        on current_customers.customer_id = transactions_summarised.customer_id

),

-- A value the file carries is kept (a disagreement is reported, never
-- overwritten); a blank is filled with the computed value.
final as (

    select
        customer_id,
        signup_date,
        cast(
            coalesce(file_number_of_purchases, computed_number_of_purchases)
            as integer
        ) as number_of_purchases,
        cast(
            coalesce(file_value_of_purchases, computed_value_of_purchases)
            as numeric(18, 2)
        ) as value_of_purchases,
        cast(
            coalesce(
                file_total_standard_points, computed_total_standard_points
            ) as bigint
        ) as total_standard_points,
        cast(
            coalesce(
                file_total_points_redeemed, computed_total_points_redeemed
            ) as bigint
        ) as total_points_redeemed,
        file_number_of_purchases is null as is_number_of_purchases_filled,
        file_value_of_purchases is null as is_value_of_purchases_filled,
        file_total_standard_points is null
            as is_total_standard_points_filled,
        file_total_points_redeemed is null
            as is_total_points_redeemed_filled,
        cast(file_number_of_purchases as integer) as file_number_of_purchases,
        cast(file_value_of_purchases as numeric(18, 2))
            as file_value_of_purchases,
        cast(file_total_standard_points as bigint)
            as file_total_standard_points,
        cast(file_total_points_redeemed as bigint)
            as file_total_points_redeemed,
        cast(computed_number_of_purchases as integer)
            as computed_number_of_purchases,
        cast(computed_value_of_purchases as numeric(18, 2))
            as computed_value_of_purchases,
        cast(computed_total_standard_points as bigint)
            as computed_total_standard_points,
        cast(computed_total_points_redeemed as bigint)
            as computed_total_points_redeemed,
        cast(transaction_count as integer) as transaction_count,
        first_transaction_date,
        last_transaction_date,
        source_file,
        source_row_number,
        load_id
    from summaries_joined

)

select * from final

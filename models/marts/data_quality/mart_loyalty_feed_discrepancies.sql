with

int_loyalty_customers_filled as (

    select * from {{ ref('int_loyalty_customers_filled') }}

),

int_loyalty_transactions_classified as (

    select * from {{ ref('int_loyalty_transactions_classified') }}

),

stg_loyalty__customers as (

    select * from {{ ref('stg_loyalty__customers') }}

),

latest_customer_load as (

    select max(load_id) as load_id
    from stg_loyalty__customers

),

duplicate_customer_lines as (

    select
        stg_loyalty__customers.customer_id,
        max(stg_loyalty__customers.source_file) as source_file,
        min(stg_loyalty__customers.source_row_number) as source_row_number,
        count(*) as line_count
    from stg_loyalty__customers
    inner join latest_customer_load
        on stg_loyalty__customers.load_id = latest_customer_load.load_id
    group by 1
    having count(*) > 1

),

{% set summary_columns = [
    'number_of_purchases', 'value_of_purchases',
    'total_standard_points', 'total_points_redeemed'
] -%}

discrepancies as (

    {% for column in summary_columns -%}
    select
        '{{ column }}' as check_name,
        customer_id,
        cast(file_{{ column }} as numeric(18, 2)) as file_value,
        cast(computed_{{ column }} as numeric(18, 2)) as computed_value,
        source_file,
        source_row_number
    from int_loyalty_customers_filled
    where file_{{ column }} <> computed_{{ column }}
    union all
    {% endfor -%}
    select
        'negative_balance' as check_name,
        customer_id,
        cast(file_total_standard_points as numeric(18, 2)) as file_value,
        cast(computed_total_standard_points as numeric(18, 2))
            as computed_value,
        source_file,
        source_row_number
    from int_loyalty_customers_filled
    where computed_total_standard_points < 0
    union all
    select
        'duplicate_customer' as check_name,
        customer_id,
        cast(line_count as numeric(18, 2)) as file_value,
        cast(1 as numeric(18, 2)) as computed_value,
        source_file,
        source_row_number
    from duplicate_customer_lines
    union all
    select
        'unknown_customer' as check_name,
        customer_id,
        cast(transaction_value as numeric(18, 2)) as file_value,
        cast(null as numeric(18, 2)) as computed_value,
        source_file,
        source_row_number
    from int_loyalty_transactions_classified
    where not is_known_customer
    union all
    select
        'differential_above_earn_rule' as check_name,
        customer_id,
        cast(point_differential as numeric(18, 2)) as file_value,
        cast(points_by_earn_rule as numeric(18, 2)) as computed_value,
        source_file,
        source_row_number
    from int_loyalty_transactions_classified
    where transaction_value > 0 and point_differential > points_by_earn_rule

),

final as (

    select
        {{ surrogate_key(['check_name', 'source_file', 'source_row_number']) }}
            as discrepancy_id,
        cast(check_name as {{ dbt.type_string() }}) as check_name,
        customer_id,
        file_value,
        computed_value,
        cast(file_value - computed_value as numeric(18, 2)) as difference,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row_number as integer) as source_row_number
    from discrepancies

)

select * from final

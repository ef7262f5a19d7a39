with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

mart_top_customers as (

    select * from {{ ref('mart_top_customers') }}

),

movements as (

    {{ loyalty_sales_movements('fct_invoices', 'mart_top_customers') }}

),

rules as (

    {{ loyalty_default_rules() }}

),

as_of as (

    select max(invoice_date) as as_of_date
    from fct_invoices

),

ledger as (

    {{ loyalty_ledger('movements', 'rules', 'as_of') }}

),

final as (

    select
        ledger.customer_id,
        cast(ledger.entry_sequence as integer) as entry_sequence,
        cast(ledger.entry_type as {{ dbt.type_string() }}) as entry_type,
        cast(ledger.movement_id as {{ dbt.type_string() }}) as invoice_id,
        ledger.entry_date,
        cast(
            coalesce(mart_top_customers.loyalty_tier, 'none')
            as {{ dbt.type_string() }}
        ) as loyalty_tier,
        cast(ledger.net_amount as numeric(18, 3)) as net_amount,
        cast(ledger.points_earned as bigint) as points_earned,
        cast(ledger.points_reversed as bigint) as points_reversed,
        cast(ledger.rewards_redeemed as bigint) as rewards_redeemed,
        cast(ledger.points_redeemed as bigint) as points_redeemed,
        cast(ledger.reward_value_redeemed as numeric(18, 2))
            as reward_value_redeemed,
        cast(ledger.points_expired as bigint) as points_expired,
        cast(ledger.points_balance as bigint) as points_balance
    from ledger
    left join mart_top_customers
        on ledger.customer_id = mart_top_customers.customer_id

)

select * from final

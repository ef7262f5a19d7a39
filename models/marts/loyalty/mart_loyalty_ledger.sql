-- The rules live in int_loyalty_ledger_simulated, which runs them for
-- every scenario; this is the programme of the default rules.
with

int_loyalty_ledger_simulated as (

    select * from {{ ref('int_loyalty_ledger_simulated') }}

),

final as (

    select
        customer_id,
        entry_sequence,
        entry_type,
        invoice_id,
        entry_date,
        loyalty_tier,
        net_amount,
        points_earned,
        points_reversed,
        rewards_redeemed,
        points_redeemed,
        reward_value_redeemed,
        points_expired,
        points_balance
    from int_loyalty_ledger_simulated
    where scenario_id = 'default'

)

select * from final

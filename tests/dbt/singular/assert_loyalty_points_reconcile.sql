-- Loyalty points reconcile in total and row by row: every ledger row's
-- balance is the running sum of earned - reversed - redeemed - expired;
-- the balances mart, the last month of the monthly mart and the default
-- scenario of the what-if comparison give the ledger's totals (liability
-- within half a cent per member: each member's is rounded to cents); and
-- issued - reversed - redeemed - expired = outstanding in each. Returns
-- what disagrees.
with

mart_loyalty_ledger as (

    select * from {{ ref('mart_loyalty_ledger') }}

),

mart_loyalty_balances as (

    select * from {{ ref('mart_loyalty_balances') }}

),

mart_loyalty_programme_monthly as (

    select * from {{ ref('mart_loyalty_programme_monthly') }}

),

mart_loyalty_scenarios as (

    select * from {{ ref('mart_loyalty_scenarios') }}

),

ledger_running as (

    select
        customer_id,
        entry_sequence,
        points_balance,
        sum(
            points_earned - points_reversed - points_redeemed - points_expired
        ) over (
            partition by customer_id
            order by entry_sequence
            rows between unbounded preceding and current row
        ) as running_points
    from mart_loyalty_ledger

),

ledger_totals as (

    select
        sum(points_earned) as points_issued,
        sum(points_reversed) as points_reversed,
        sum(points_redeemed) as points_redeemed,
        sum(points_expired) as points_expired,
        sum(reward_value_redeemed) as rewards_cost,
        count(
            distinct case when entry_type = 'earn' then customer_id end
        ) as members
    from mart_loyalty_ledger

),

balance_totals as (

    select
        sum(lifetime_points_earned) as points_issued,
        sum(points_balance) as points_outstanding,
        sum(balance_liability) as outstanding_liability,
        sum(rewards_value) as rewards_cost,
        count(*) as member_count
    from mart_loyalty_balances

),

monthly_totals as (

    select
        sum(points_issued) as points_issued,
        sum(points_redeemed) as points_redeemed,
        sum(rewards_cost) as rewards_cost,
        max(cumulative_member_count) as members
    from mart_loyalty_programme_monthly

),

last_month_start as (

    select max(month_start_date) as month_start_date
    from mart_loyalty_programme_monthly

),

last_month as (

    select
        mart_loyalty_programme_monthly.points_outstanding,
        mart_loyalty_programme_monthly.outstanding_liability
    from mart_loyalty_programme_monthly
    inner join last_month_start
        on
            mart_loyalty_programme_monthly.month_start_date
            = last_month_start.month_start_date

),

default_scenario as (

    select *
    from mart_loyalty_scenarios
    where scenario_id = 'default'

),

checks as (

    select
        'ledger row ' || cast(customer_id as {{ dbt.type_string() }}) || '/'
        || cast(entry_sequence as {{ dbt.type_string() }})
        || ': balance = running sum of movements' as check_name,
        cast(running_points as numeric(28, 3)) as expected,
        cast(points_balance as numeric(28, 3)) as actual,
        cast(0 as numeric(28, 3)) as tolerance
    from ledger_running
    where running_points <> points_balance
    union all
    {{ reconciliation_check(
        "'balances: issued = ledger issued'",
        'ledger_totals.points_issued', 'balance_totals.points_issued',
        'ledger_totals cross join balance_totals'
    ) }}
    union all
    {{ reconciliation_check(
        "'balances: outstanding = issued - reversed - redeemed - expired'",
        'ledger_totals.points_issued - ledger_totals.points_reversed'
        ~ ' - ledger_totals.points_redeemed - ledger_totals.points_expired',
        'balance_totals.points_outstanding',
        'ledger_totals cross join balance_totals'
    ) }}
    union all
    {{ reconciliation_check(
        "'balances: rewards cost = ledger rewards cost'",
        'ledger_totals.rewards_cost', 'balance_totals.rewards_cost',
        'ledger_totals cross join balance_totals'
    ) }}
    union all
    {{ reconciliation_check(
        "'monthly: issued = ledger issued'",
        'ledger_totals.points_issued', 'monthly_totals.points_issued',
        'ledger_totals cross join monthly_totals'
    ) }}
    union all
    {{ reconciliation_check(
        "'monthly: redeemed = ledger redeemed'",
        'ledger_totals.points_redeemed', 'monthly_totals.points_redeemed',
        'ledger_totals cross join monthly_totals'
    ) }}
    union all
    {{ reconciliation_check(
        "'monthly: rewards cost = ledger rewards cost'",
        'ledger_totals.rewards_cost', 'monthly_totals.rewards_cost',
        'ledger_totals cross join monthly_totals'
    ) }}
    union all
    {{ reconciliation_check(
        "'monthly: members to date = ledger members'",
        'ledger_totals.members', 'monthly_totals.members',
        'ledger_totals cross join monthly_totals'
    ) }}
    union all
    {{ reconciliation_check(
        "'monthly: last outstanding = balances outstanding'",
        'balance_totals.points_outstanding', 'last_month.points_outstanding',
        'balance_totals cross join last_month'
    ) }}
    union all
    {{ reconciliation_check(
        "'monthly: last liability = balances liability'",
        'balance_totals.outstanding_liability',
        'last_month.outstanding_liability',
        'balance_totals cross join last_month',
        'balance_totals.member_count * 0.005'
    ) }}
    union all
    {{ reconciliation_check(
        "'scenarios: default outstanding = balances outstanding'",
        'balance_totals.points_outstanding',
        'default_scenario.points_outstanding',
        'balance_totals cross join default_scenario'
    ) }}
    union all
    {{ reconciliation_check(
        "'scenarios: default liability = balances liability'",
        'balance_totals.outstanding_liability',
        'default_scenario.outstanding_liability',
        'balance_totals cross join default_scenario',
        'balance_totals.member_count * 0.005'
    ) }}
    union all
    {{ reconciliation_check(
        "'scenarios: default rewards cost = ledger rewards cost'",
        'ledger_totals.rewards_cost', 'default_scenario.rewards_cost',
        'ledger_totals cross join default_scenario'
    ) }}
    union all
    {{ reconciliation_check(
        "'scenarios: issued - reversed - redeemed - expired = outstanding: '"
        ~ " || default_scenario.scenario_id",
        'default_scenario.points_issued - default_scenario.points_reversed'
        ~ ' - default_scenario.points_redeemed'
        ~ ' - default_scenario.points_expired',
        'default_scenario.points_outstanding',
        'mart_loyalty_scenarios as default_scenario'
    ) }}

)

select * from checks
where abs(expected - actual) > tolerance

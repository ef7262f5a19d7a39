with

fct_invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

int_employees_standardized as (

    select * from {{ ref('int_employees_standardized') }}

),

employees_aggregated as (

    select
        employee_id,
        {{ line_measures([
                'order_count',
                'customer_count',
                'gross_sales',
                'returned_amount',
                'net_revenue',
                'gross_margin'
            ]) }},
        min(invoice_date) as first_order_date,
        max(invoice_date) as last_order_date
    from fct_invoice_lines
    where is_product and employee_id is not null
    group by 1

),

-- Reward tiers (vars employee_reward_*): employees with at least
-- employee_reward_min_orders orders are ranked by gross margin (ties by
-- employee id); the top employee_reward_gold_share of them are gold, the
-- next up to employee_reward_silver_share silver, the rest standard.
-- Employees under the minimum are not_eligible.
employees_ranked as (

    select
        employees_aggregated.*,
        row_number() over (
            order by
                employees_aggregated.gross_margin desc,
                employees_aggregated.employee_id asc
        ) as margin_rank,
        row_number() over (
            order by
                employees_aggregated.net_revenue desc,
                employees_aggregated.employee_id asc
        ) as revenue_rank,
        case
            when
                employees_aggregated.order_count
                >= {{ var('employee_reward_min_orders') }}
                then row_number() over (
                    partition by
                        employees_aggregated.order_count
                        >= {{ var('employee_reward_min_orders') }}
                    order by
                        employees_aggregated.gross_margin desc,
                        employees_aggregated.employee_id asc
                )
        end as eligible_rank,
        sum(
            case
                when
                    employees_aggregated.order_count
                    >= {{ var('employee_reward_min_orders') }}
                    then 1
                else 0
            end
        ) over () as eligible_count
    from employees_aggregated

),

employees_tiered as (

    select
        *,
        case
            when eligible_rank is null then 'not_eligible'
            when
                eligible_rank
                <= {{ var('employee_reward_gold_share') }} * eligible_count
                then 'gold'
            when
                eligible_rank
                <= {{ var('employee_reward_silver_share') }} * eligible_count
                then 'silver'
            else 'standard'
        end as reward_tier
    from employees_ranked

),

final as (

    select
        cast(employees_tiered.employee_id as {{ dbt.type_string() }})
            as employee_id,
        int_employees_standardized.employee_name,
        cast(employees_tiered.order_count as integer) as order_count,
        cast(employees_tiered.customer_count as integer) as customer_count,
        {{ margin_columns('employees_tiered', [
            'gross_sales',
            'returned_amount',
            'net_revenue',
            'gross_margin',
            'gross_margin_rate'
        ]) }},
        {{ divide_rounded(
            'employees_tiered.returned_amount',
            'employees_tiered.gross_sales',
            6,
            9
        ) }} as returns_share,
        cast(employees_tiered.margin_rank as integer) as margin_rank,
        cast(employees_tiered.revenue_rank as integer) as revenue_rank,
        cast(employees_tiered.reward_tier as {{ dbt.type_string() }})
            as reward_tier,
        employees_tiered.first_order_date,
        employees_tiered.last_order_date
    from employees_tiered
    left join int_employees_standardized
        on employees_tiered.employee_id = int_employees_standardized.employee_id

)

select * from final

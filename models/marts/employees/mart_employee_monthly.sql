with

fct_invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

months_aggregated as (

    select
        employee_id,
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date)
            as month_start_date,
        {{ line_measures([
                'order_count',
                'customer_count',
                'gross_sales',
                'returned_amount',
                'net_revenue',
                'gross_margin'
            ]) }}
    from fct_invoice_lines
    where is_product and employee_id is not null
    group by 1, 2

),

months_ranked as (

    select
        *,
        row_number() over (
            partition by month_start_date
            order by gross_margin desc, employee_id asc
        ) as margin_rank
    from months_aggregated

),

final as (

    select
        cast(employee_id as {{ dbt.type_string() }}) as employee_id,
        month_start_date,
        cast(order_count as integer) as order_count,
        cast(customer_count as integer) as customer_count,
        cast(gross_sales as numeric(18, 2)) as gross_sales,
        cast(returned_amount as numeric(18, 2)) as returned_amount,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(gross_margin as numeric(18, 2)) as gross_margin,
        {{ divide_rounded('returned_amount', 'gross_sales', 6, 9) }}
            as returns_share,
        cast(margin_rank as integer) as margin_rank
    from months_ranked

)

select * from final

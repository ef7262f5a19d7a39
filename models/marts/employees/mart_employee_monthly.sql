{{
    config(**incremental_by_grain(
        'month_start_date', partition_by='month_start_date'
    ))
}}

{%- set line_month = dbt.date_trunc('month', 'invoice_date') %}

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
            ]) }},
        max(load_id) as last_load_id
    from fct_invoice_lines
    where
        is_product
        and employee_id is not null
        -- An incremental run recomputes the months with a line of a new
        -- load, every employee of them (the unique key is the month, so all
        -- its rows are replaced, and margin_rank ranks them all); other
        -- months cannot change.
        and {{ in_affected_keys(
            line_month, 'fct_invoice_lines', line_month, 'load_id'
        ) }}
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
        cast(employee_id as {{ text_type() }}) as employee_id,
        month_start_date,
        cast(order_count as integer) as order_count,
        cast(customer_count as integer) as customer_count,
        cast(gross_sales as numeric(18, 2)) as gross_sales,
        cast(returned_amount as numeric(18, 2)) as returned_amount,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(gross_margin as numeric(18, 2)) as gross_margin,
        {{ divide_rounded('returned_amount', 'gross_sales', 6, 9) }}
            as returns_share,
        cast(margin_rank as integer) as margin_rank,
        cast(last_load_id as integer) as last_load_id
    from months_ranked

)

select * from final

{{ config(**incremental_by_grain('customer_id')) }}

{#- A load that touches most customers recomputes them all (YAML). -#}
{%- set every_customer = affected_share_exceeded(
    ref('fct_invoices'), 'customer_id', 'customer_id'
) %}

with

fct_invoices as (

    select * from {{ ref('fct_invoices') }}

),

dim_countries as (

    select * from {{ ref('dim_countries') }}

),

dim_customers as (

    select * from {{ ref('dim_customers') }}

),

customer_orders as (

    select
        invoice_id,
        customer_id,
        country_code,
        product_amount,
        invoiced_at,
        invoice_date,
        last_load_id
    from fct_invoices
    where
        is_purchase
        and customer_id is not null
        -- An incremental run renumbers the orders of the customers with an
        -- invoice of a new load (every customer past the share).
        and {{
            'true' if every_customer
            else in_affected_keys('customer_id', 'fct_invoices', 'customer_id')
        }}

),

-- Orders on the same day (or the same minute) keep a stable order: by time,
-- then by invoice number.
orders_numbered as (

    select
        customer_orders.*,
        row_number() over (
            partition by customer_orders.customer_id
            order by customer_orders.invoiced_at, customer_orders.invoice_id
        ) as order_number,
        lag(customer_orders.invoice_date) over (
            partition by customer_orders.customer_id
            order by customer_orders.invoiced_at, customer_orders.invoice_id
        ) as previous_order_date
    from customer_orders

),

final as (

    select
        orders_numbered.invoice_id,
        orders_numbered.customer_id,
        orders_numbered.country_code,
        dim_countries.country_name,
        cast(orders_numbered.order_number as integer) as order_number,
        cast(orders_numbered.product_amount as numeric(18, 3))
            as product_amount,
        cast(
            {{ dbt.datediff(
                'orders_numbered.previous_order_date',
                'orders_numbered.invoice_date',
                'day'
            ) }} as integer
        ) as days_since_previous_order,
        cast(
            {{ dbt.date_trunc('month', 'dim_customers.first_purchase_date') }}
            as date
        ) as cohort_month,
        cast(
            {{ dbt.date_trunc('month', 'orders_numbered.invoice_date') }}
            as date
        ) as order_month,
        orders_numbered.invoiced_at,
        orders_numbered.invoice_date,
        orders_numbered.previous_order_date,
        orders_numbered.last_load_id
    from orders_numbered
    inner join dim_customers
        on orders_numbered.customer_id = dim_customers.customer_id
    left join dim_countries
        on orders_numbered.country_code = dim_countries.country_code

)

select * from final

-- The return columns of mart_customer_360 reconcile to fct_invoice_lines to
-- the cent: every customer's product sales and returns are its lines' exact
-- sums rounded to the cent (within half a cent), its units returned equal;
-- a customer without product lines has 0. Returns a row per disagreement.
{%- set measures = ['gross_sales', 'returned_amount', 'units_returned'] %}

with

fct_invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

mart_customer_360 as (

    select * from {{ ref('mart_customer_360') }}

),

lines_by_customer as (

    select
        customer_id,
        {{ line_measures(measures) }}
    from fct_invoice_lines
    where is_product and customer_id is not null
    group by 1

),

checks as (

    {% for name in measures -%}
    select
        '{{ name }}' as check_name,
        coalesce(
            mart_customer_360.customer_id, lines_by_customer.customer_id
        ) as customer_id,
        cast(
            coalesce(lines_by_customer.{{ name }}, 0) as numeric(28, 3)
        ) as expected,
        cast(mart_customer_360.{{ name }} as numeric(28, 3)) as actual,
        cast(
            {{ '0' if name == 'units_returned' else '0.005' }}
            as numeric(28, 3)
        ) as tolerance
    from mart_customer_360
    full outer join lines_by_customer
        on mart_customer_360.customer_id = lines_by_customer.customer_id
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from checks
where actual is null or abs(expected - actual) > tolerance

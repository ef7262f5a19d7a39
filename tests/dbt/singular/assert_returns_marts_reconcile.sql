-- The returns marts reconcile to fct_invoice_lines to the cent: every
-- product of mart_product_returns and every month x country of
-- mart_returns_monthly (its product groups summed) holds the product sales,
-- returns and net revenue of its lines, each within half a cent per rounded
-- row (each row is its lines' exact sum rounded to the cent), with no key
-- missing on either side; the units and return lines are equal, and the
-- matched returns add up to int_return_lines_matched. The customers of
-- mart_customer_360: assert_customer_360_returns_reconcile.sql. Returns a
-- row per disagreement.
{%- set money = ['gross_sales', 'returned_amount', 'net_revenue'] %}
{%- set counts = ['units_sold', 'units_returned', 'return_line_count'] %}
{%- set line_month = dbt.date_trunc('month', 'invoice_date') %}

with

fct_invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

int_return_lines_matched as (

    select * from {{ ref('int_return_lines_matched') }}

),

mart_product_returns as (

    select * from {{ ref('mart_product_returns') }}

),

mart_returns_monthly as (

    select * from {{ ref('mart_returns_monthly') }}

),

product_lines as (

    select
        product_id,
        cast({{ line_month }} as date) as month_start_date,
        country_code,
        customer_id,
        invoice_kind,
        quantity,
        line_amount
    from fct_invoice_lines
    where is_product

),

-- What each key's lines hold, exact.
lines_by_product as (

    select
        cast(product_id as {{ dbt.type_string() }}) as row_key,
        {{ line_measures(money + counts) }}
    from product_lines
    group by 1

),

lines_by_month_country as (

    select
        cast(month_start_date as {{ dbt.type_string() }})
        || ' ' || country_code as row_key,
        {{ line_measures(money + counts) }}
    from product_lines
    group by 1

),

-- What the marts say for the same keys.
products_in_mart as (

    select
        cast(product_id as {{ dbt.type_string() }}) as row_key,
        {% for name in money + counts -%}
        {{ name }},
        {% endfor -%}
        matched_return_line_count,
        matched_returned_amount
    from mart_product_returns

),

month_countries_in_mart as (

    select
        cast(month_start_date as {{ dbt.type_string() }})
        || ' ' || country_code as row_key,
        count(*) as mart_rows,
        {% for name in money + counts -%}
        sum({{ name }}) as {{ name }},
        {% endfor -%}
        sum(matched_return_line_count) as matched_return_line_count,
        sum(matched_returned_amount) as matched_returned_amount
    from mart_returns_monthly
    group by 1

),

-- (mart, its keys' lines, its rows, rounded rows per key)
{%- set comparisons = [
    ('mart_product_returns', 'lines_by_product', 'products_in_mart', '1'),
    ('mart_returns_monthly', 'lines_by_month_country',
     'month_countries_in_mart', 'mart.mart_rows'),
] %}

checks as (

    {% for mart, lines, rows, rounded_rows in comparisons -%}
    {% for name in money + counts -%}
    select
        '{{ mart }}.{{ name }}' as check_name,
        coalesce(key_lines.row_key, mart.row_key) as row_key,
        cast(key_lines.{{ name }} as numeric(28, 3)) as expected,
        cast(mart.{{ name }} as numeric(28, 3)) as actual,
        cast(
            {{ '0.005 * ' ~ rounded_rows if name in money else '0' }}
            as numeric(28, 3)
        ) as tolerance
    from {{ lines }} as key_lines
    full outer join {{ rows }} as mart
        on key_lines.row_key = mart.row_key
    {% if not loop.last %}union all{% endif %}
    {% endfor -%}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

matched_lines as (

    select
        sum(case when is_matched then 1 else 0 end)
            as matched_return_line_count,
        sum(
            case when is_matched then returned_amount else 0 end
        ) as matched_returned_amount
    from int_return_lines_matched

),

product_matches as (

    select
        count(*) as mart_rows,
        sum(matched_return_line_count) as matched_return_line_count,
        sum(matched_returned_amount) as matched_returned_amount
    from products_in_mart

),

monthly_matches as (

    select
        sum(mart_rows) as mart_rows,
        sum(matched_return_line_count) as matched_return_line_count,
        sum(matched_returned_amount) as matched_returned_amount
    from month_countries_in_mart

),

match_checks as (

    {% for totals in ['product_matches', 'monthly_matches'] -%}
    {{ reconciliation_check(
        "'" ~ totals ~ " matched return lines'",
        'matched_lines.matched_return_line_count',
        totals ~ '.matched_return_line_count',
        'matched_lines cross join ' ~ totals
    ) }}
    union all
    {{ reconciliation_check(
        "'" ~ totals ~ " matched returned amount'",
        'matched_lines.matched_returned_amount',
        totals ~ '.matched_returned_amount',
        'matched_lines cross join ' ~ totals,
        tolerance='0.005 * ' ~ totals ~ '.mart_rows'
    ) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select *
from checks
where
    expected is null
    or actual is null
    or abs(expected - actual) > tolerance
union all
select
    check_name,
    cast(null as {{ dbt.type_string() }}) as row_key,
    expected,
    actual,
    tolerance
from match_checks
where abs(expected - actual) > tolerance

{%- set roles = location_roles() %}
{%- set line_month = dbt.date_trunc(
    'month', 'fct_invoice_lines.invoice_date'
) %}

{{
    config(**incremental_by_grain(
        'month_start_date', partition_by='month_start_date'
    ))
}}

with

fct_invoice_lines as {{ not_materialized() }} (

    select * from {{ ref('fct_invoice_lines') }}

),

dim_countries as (

    select * from {{ ref('dim_countries') }}

),

{% if 'supplier' in roles -%}
int_suppliers_standardized as (

    select * from {{ ref('int_suppliers_standardized') }}

),
{%- endif %}

{% if is_incremental() -%}
-- An incremental run recomputes the months with a line of a new load and
-- the month after each (its growth rate compares with them), every location
-- of them (the unique key is the month, so all its rows are replaced, and
-- revenue_share divides by all of them); it reads the month before each as
-- well, for the growth rate of the first. Other months cannot change.
months_touched as (

    select cast(affected.affected_key as date) as month_start_date
    from (
        {{ affected_keys('fct_invoice_lines', line_month, 'load_id') }}
    ) as affected

),

months_recomputed as (

    select month_start_date from months_touched
    union
    select cast({{ dbt.dateadd('month', 1, 'month_start_date') }} as date)
    from months_touched

),

months_read as (

    select month_start_date from months_recomputed
    union
    select cast({{ dbt.dateadd('month', -1, 'month_start_date') }} as date)
    from months_recomputed

),

{% endif -%}
product_lines as {{ not_materialized() }} (

    select
        fct_invoice_lines.invoice_id,
        fct_invoice_lines.customer_id,
        fct_invoice_lines.country_code,
        fct_invoice_lines.supplier_id,
        fct_invoice_lines.invoice_kind,
        fct_invoice_lines.invoice_date,
        fct_invoice_lines.line_amount,
        fct_invoice_lines.cost_amount,
        fct_invoice_lines.load_id
    from fct_invoice_lines
    {% if is_incremental() -%}
    inner join months_read
        on
            cast({{ line_month }} as date) = months_read.month_start_date
    {%- endif %}
    where fct_invoice_lines.is_product

),

-- Every product line at the location of each role: where its customer buys
-- and, with suppliers, where its supplier is.
customer_lines as {{ not_materialized() }} (

    select
        product_lines.country_code,
        product_lines.invoice_id,
        product_lines.customer_id,
        product_lines.invoice_kind,
        product_lines.invoice_date,
        product_lines.line_amount,
        product_lines.cost_amount,
        product_lines.load_id
    from product_lines

),

{% if 'supplier' in roles -%}
supplier_lines as {{ not_materialized() }} (

    select
        int_suppliers_standardized.location_id as country_code,
        product_lines.invoice_id,
        product_lines.customer_id,
        product_lines.invoice_kind,
        product_lines.invoice_date,
        product_lines.line_amount,
        product_lines.cost_amount,
        product_lines.load_id
    from product_lines
    inner join int_suppliers_standardized
        on
            product_lines.supplier_id
            = int_suppliers_standardized.supplier_id

),
{%- endif %}

-- Each role aggregated apart, then stacked: over the union of the roles
-- (148 M located lines at TPC-H SF 10) DuckDB could not allocate the
-- memory of the distinct counts; over each role it spills and finishes.
months_aggregated as (

    {% for role in roles -%}
    select
        '{{ role }}' as location_role,
        country_code,
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date)
            as month_start_date,
        {{ line_measures([
                'order_count',
                'customer_count',
                'gross_sales',
                'returned_amount',
                'net_revenue',
                'cost_of_goods',
                'gross_margin'
            ]) }},
        sum(
            case
                when invoice_kind = 'sale' then line_amount - cost_amount
                else 0
            end
        ) as margin_before_returns,
        max(load_id) as last_load_id
    from {{ role }}_lines
    group by 2, 3
    {%- if not loop.last %}
    union all
    {% endif -%}
    {%- endfor %}

),

months_compared as (

    select
        months_aggregated.*,
        sum(months_aggregated.net_revenue) over (
            partition by
                months_aggregated.location_role,
                months_aggregated.month_start_date
        ) as role_month_revenue,
        previous_months.net_revenue as previous_month_revenue,
        previous_months.last_load_id as previous_month_last_load_id
    from months_aggregated
    left join months_aggregated as previous_months
        on
            months_aggregated.location_role = previous_months.location_role
            and months_aggregated.country_code = previous_months.country_code
            and previous_months.month_start_date
            = cast({{ dbt.dateadd(
                'month', -1, 'months_aggregated.month_start_date'
            ) }} as date)

),

final as (

    select
        cast(months_compared.location_role as {{ text_type() }})
            as location_role,
        cast(months_compared.country_code as {{ text_type() }})
            as country_code,
        dim_countries.country_name,
        dim_countries.region,
        months_compared.month_start_date,
        cast(months_compared.order_count as integer) as order_count,
        cast(months_compared.customer_count as integer) as customer_count,
        cast(months_compared.gross_sales as numeric(18, 2)) as gross_sales,
        cast(months_compared.returned_amount as numeric(18, 2))
            as returned_amount,
        cast(months_compared.net_revenue as numeric(18, 2)) as net_revenue,
        cast(months_compared.cost_of_goods as numeric(18, 2))
            as cost_of_goods,
        cast(months_compared.gross_margin as numeric(18, 2)) as gross_margin,
        cast(months_compared.margin_before_returns as numeric(18, 2))
            as margin_before_returns,
        {{ divide_rounded(
            'months_compared.net_revenue',
            'months_compared.role_month_revenue',
            6,
            9
        ) }} as revenue_share,
        {{ divide_rounded(
            'months_compared.net_revenue'
            ~ ' - months_compared.previous_month_revenue',
            'months_compared.previous_month_revenue',
            6,
            18
        ) }} as revenue_growth_rate,
        cast(
            greatest(
                months_compared.last_load_id,
                coalesce(
                    months_compared.previous_month_last_load_id,
                    months_compared.last_load_id
                )
            ) as integer
        ) as last_load_id
    from months_compared
    left join dim_countries
        on months_compared.country_code = dim_countries.country_code
    {%- if is_incremental() %}
    where
        months_compared.month_start_date in (
            select months_recomputed.month_start_date from months_recomputed
        )
    {%- endif %}

)

select * from final

{#-
    Locations play two roles: where customers buy (every source) and, for
    sources with suppliers (using_suppliers), where the goods come from.
-#}
{%- set roles = ['customer'] %}
{%- if var('using_suppliers', sales_source() == 'tpch') %}
{%- do roles.append('supplier') %}
{%- endif %}

with

fct_invoice_lines as (

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

lines_located as (

    select
        'customer' as location_role,
        fct_invoice_lines.country_code,
        fct_invoice_lines.invoice_id,
        fct_invoice_lines.customer_id,
        fct_invoice_lines.invoice_kind,
        fct_invoice_lines.invoice_date,
        fct_invoice_lines.line_amount,
        fct_invoice_lines.cost_amount
    from fct_invoice_lines
    where fct_invoice_lines.is_product
    {% if 'supplier' in roles -%}
    union all
    select
        'supplier' as location_role,
        int_suppliers_standardized.location_id as country_code,
        fct_invoice_lines.invoice_id,
        fct_invoice_lines.customer_id,
        fct_invoice_lines.invoice_kind,
        fct_invoice_lines.invoice_date,
        fct_invoice_lines.line_amount,
        fct_invoice_lines.cost_amount
    from fct_invoice_lines
    inner join int_suppliers_standardized
        on
            fct_invoice_lines.supplier_id
            = int_suppliers_standardized.supplier_id
    where fct_invoice_lines.is_product
    {%- endif %}

),

months_aggregated as (

    select
        location_role,
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
        ) as margin_before_returns
    from lines_located
    group by 1, 2, 3

),

months_compared as (

    select
        months_aggregated.*,
        sum(months_aggregated.net_revenue) over (
            partition by
                months_aggregated.location_role,
                months_aggregated.month_start_date
        ) as role_month_revenue,
        previous_months.net_revenue as previous_month_revenue
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
        cast(months_compared.location_role as {{ dbt.type_string() }})
            as location_role,
        cast(months_compared.country_code as {{ dbt.type_string() }})
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
        ) }} as revenue_growth_rate
    from months_compared
    left join dim_countries
        on months_compared.country_code = dim_countries.country_code

)

select * from final

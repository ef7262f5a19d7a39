{%- set roles = location_roles() %}
{%- set last_month = 'bounds.last_month_start_date' %}
{%- set year_before = dbt.dateadd('month', -12, last_month) %}
{%- set two_years_before = dbt.dateadd('month', -24, last_month) %}

with

mart_location_monthly as (

    select * from {{ ref('mart_location_monthly') }}

),

fct_invoice_lines as {{ not_materialized() }} (

    select * from {{ ref('fct_invoice_lines') }}

),

{% if 'supplier' in roles -%}
int_suppliers_standardized as (

    select * from {{ ref('int_suppliers_standardized') }}

),
{%- endif %}

-- Orders and customers are counted over the whole span (a customer buying
-- in two months is one customer here), so they come from the lines: the
-- sales lines at the location of each role.
customer_lines as {{ not_materialized() }} (

    select
        country_code,
        invoice_id,
        customer_id
    from fct_invoice_lines
    where is_product and invoice_kind = 'sale'

),

{% if 'supplier' in roles -%}
supplier_lines as {{ not_materialized() }} (

    select
        int_suppliers_standardized.location_id as country_code,
        fct_invoice_lines.invoice_id,
        fct_invoice_lines.customer_id
    from fct_invoice_lines
    inner join int_suppliers_standardized
        on
            fct_invoice_lines.supplier_id
            = int_suppliers_standardized.supplier_id
    where
        fct_invoice_lines.is_product
        and fct_invoice_lines.invoice_kind = 'sale'

),
{%- endif %}

-- Each role counted apart, then stacked, as in mart_location_monthly (over
-- the union of the roles DuckDB could not allocate the distinct counts'
-- memory at TPC-H SF 10).
counts as (

    {% for role in roles -%}
    select
        '{{ role }}' as location_role,
        country_code,
        count(distinct invoice_id) as order_count,
        count(distinct customer_id) as customer_count
    from {{ role }}_lines
    group by 2
    {%- if not loop.last %}
    union all
    {% endif -%}
    {%- endfor %}

),

-- Growth: net revenue of the last 12 months of data against the 12 months
-- before them (the last month is the latest month with sales of any
-- location in that role).
bounds as (

    select
        location_role,
        max(month_start_date) as last_month_start_date
    from mart_location_monthly
    group by 1

),

locations_aggregated as (

    select
        mart_location_monthly.location_role,
        mart_location_monthly.country_code,
        max(mart_location_monthly.country_name) as country_name,
        max(mart_location_monthly.region) as region,
        min(mart_location_monthly.month_start_date) as first_month_start_date,
        max(mart_location_monthly.month_start_date) as last_month_start_date,
        sum(mart_location_monthly.gross_sales) as gross_sales,
        sum(mart_location_monthly.returned_amount) as returned_amount,
        sum(mart_location_monthly.net_revenue) as net_revenue,
        sum(mart_location_monthly.cost_of_goods) as cost_of_goods,
        sum(mart_location_monthly.gross_margin) as gross_margin,
        sum(
            case
                when
                    mart_location_monthly.month_start_date
                    > {{ year_before }}
                    then mart_location_monthly.net_revenue
                else 0
            end
        ) as last_12_months_revenue,
        sum(
            case
                when
                    mart_location_monthly.month_start_date
                    <= {{ year_before }}
                    and mart_location_monthly.month_start_date
                    > {{ two_years_before }}
                    then mart_location_monthly.net_revenue
                else 0
            end
        ) as prior_12_months_revenue
    from mart_location_monthly
    inner join bounds
        on mart_location_monthly.location_role = bounds.location_role
    group by 1, 2

),

locations_ranked as (

    select
        locations_aggregated.*,
        sum(locations_aggregated.net_revenue) over (
            partition by locations_aggregated.location_role
        ) as role_revenue,
        row_number() over (
            partition by locations_aggregated.location_role
            order by
                locations_aggregated.net_revenue desc,
                locations_aggregated.country_code asc
        ) as revenue_rank
    from locations_aggregated

),

final as (

    select
        cast(locations_ranked.location_role as {{ dbt.type_string() }})
            as location_role,
        cast(locations_ranked.country_code as {{ dbt.type_string() }})
            as country_code,
        locations_ranked.country_name,
        locations_ranked.region,
        cast(coalesce(counts.order_count, 0) as integer) as order_count,
        cast(coalesce(counts.customer_count, 0) as integer) as customer_count,
        {{ margin_columns('locations_ranked') }},
        {{ divide_rounded(
            'locations_ranked.net_revenue', 'locations_ranked.role_revenue', 6, 9
        ) }} as revenue_share,
        cast(locations_ranked.revenue_rank as integer) as revenue_rank,
        cast(locations_ranked.last_12_months_revenue as numeric(18, 2))
            as last_12_months_revenue,
        cast(locations_ranked.prior_12_months_revenue as numeric(18, 2))
            as prior_12_months_revenue,
        {{ divide_rounded(
            'locations_ranked.last_12_months_revenue'
            ~ ' - locations_ranked.prior_12_months_revenue',
            'locations_ranked.prior_12_months_revenue',
            6,
            18
        ) }} as revenue_growth_rate,
        locations_ranked.first_month_start_date,
        locations_ranked.last_month_start_date
    from locations_ranked
    left join counts
        on
            locations_ranked.location_role = counts.location_role
            and locations_ranked.country_code = counts.country_code

)

select * from final

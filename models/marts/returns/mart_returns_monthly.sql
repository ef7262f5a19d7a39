{%- set line_month = dbt.date_trunc('month', 'invoice_date') %}

{{
    config(**incremental_by_grain(
        'month_start_date', partition_by='month_start_date'
    ))
}}

with

fct_invoice_lines as {{ not_materialized() }} (

    select * from {{ ref('fct_invoice_lines') }}

),

int_return_lines_matched as (

    select * from {{ ref('int_return_lines_matched') }}

),

mart_product_returns as (

    select * from {{ ref('mart_product_returns') }}

),

dim_countries as (

    select * from {{ ref('dim_countries') }}

),

dim_dates as (

    select * from {{ ref('dim_dates') }}

),

data_months as (

    select
        month_start_date,
        max(case when is_complete_month then 1 else 0 end) = 1
            as is_complete_month
    from dim_dates
    where is_in_data_range
    group by 1

),

{% if is_incremental() -%}
-- An incremental run recomputes every month a new load can change: the
-- months of its product lines; the months of the returns whose sale is an
-- invoice of a new load (a late sale can become an old return's match);
-- and the months at either end of the data that the new loads brought into
-- the data's range or made complete. Other months cannot change.
old_range as (

    select
        min(invoice_date) as first_invoice_date,
        max(invoice_date) as last_invoice_date
    from fct_invoice_lines
    where load_id <= {{ new_loads_after('last_load_id') }}

),

months_recomputed as (

    select distinct cast({{ line_month }} as date) as month_start_date
    from fct_invoice_lines
    where
        is_product
        and load_id > {{ new_loads_after('last_load_id') }}

    union

    select
        cast(
            {{ dbt.date_trunc(
                'month', 'int_return_lines_matched.invoice_date'
            ) }} as date
        ) as month_start_date
    from int_return_lines_matched
    where
        int_return_lines_matched.sale_invoice_id in (
            select new_lines.invoice_id
            from fct_invoice_lines as new_lines
            where new_lines.load_id > {{ new_loads_after('last_load_id') }}
        )

    union

    {{ data_range_end_months('data_months', 'old_range') }}

),

{% endif -%}

-- The product group of each product, defined once in mart_product_returns.
product_groups as (

    select
        product_id,
        product_group
    from mart_product_returns

),

-- Product lines with their product's group (postage, fees and adjustments
-- are not goods that come back).
product_lines as {{ not_materialized() }} (

    select
        fct_invoice_lines.invoice_date,
        fct_invoice_lines.country_code,
        product_groups.product_group,
        fct_invoice_lines.customer_id,
        fct_invoice_lines.invoice_kind,
        fct_invoice_lines.quantity,
        fct_invoice_lines.line_amount,
        fct_invoice_lines.load_id
    from fct_invoice_lines
    inner join product_groups
        on fct_invoice_lines.product_id = product_groups.product_id
    where fct_invoice_lines.is_product

),

return_lines as (

    select
        int_return_lines_matched.invoice_date,
        int_return_lines_matched.country_code,
        product_groups.product_group,
        int_return_lines_matched.returned_amount,
        int_return_lines_matched.is_matched,
        int_return_lines_matched.days_to_return
    from int_return_lines_matched
    inner join product_groups
        on int_return_lines_matched.product_id = product_groups.product_id

),

-- By the month a line was booked in, where the customer is, and the
-- product's group: a return counts in its own month, not in the month of
-- the sale it takes back.
lines_grouped as (

    select
        cast({{ line_month }} as date) as month_start_date,
        country_code,
        product_group,
        {{ line_measures([
            'gross_sales',
            'units_sold',
            'returned_amount',
            'units_returned',
            'net_revenue',
            'return_line_count',
            'return_customer_count',
        ]) }},
        count(
            distinct case
                when invoice_kind in ('sale', 'cancellation') then customer_id
            end
        ) as customer_count,
        max(load_id) as last_load_id
    from product_lines
    {% if is_incremental() -%}
    where
        cast({{ line_month }} as date)
        in (select months_recomputed.month_start_date from months_recomputed)
    {% endif -%}
    group by 1, 2, 3

),

matches_grouped as (

    select
        cast({{ line_month }} as date) as month_start_date,
        country_code,
        product_group,
        sum(case when is_matched then 1 else 0 end)
            as matched_return_line_count,
        sum(case when is_matched then returned_amount else 0 end)
            as matched_returned_amount,
        sum(days_to_return) as days_to_return_sum,
        max(days_to_return) as max_days_to_return
    from return_lines
    {% if is_incremental() -%}
    where
        cast({{ line_month }} as date)
        in (select months_recomputed.month_start_date from months_recomputed)
    {% endif -%}
    group by 1, 2, 3

),

final as (

    select
        lines_grouped.month_start_date,
        data_months.is_complete_month,
        lines_grouped.country_code,
        -- Not cast to dbt.type_string(): text on PostgreSQL, which an
        -- incremental run would see as a change from the contract's varchar.
        dim_countries.country_name,
        lines_grouped.product_group,
        cast(lines_grouped.gross_sales as numeric(18, 2)) as gross_sales,
        cast(lines_grouped.units_sold as bigint) as units_sold,
        cast(lines_grouped.returned_amount as numeric(18, 2))
            as returned_amount,
        cast(lines_grouped.units_returned as bigint) as units_returned,
        cast(lines_grouped.net_revenue as numeric(18, 2)) as net_revenue,
        {{ divide_rounded(
            'lines_grouped.returned_amount', 'lines_grouped.gross_sales', 4
        ) }} as value_return_rate,
        {{ divide_rounded(
            'lines_grouped.units_returned', 'lines_grouped.units_sold', 4
        ) }} as unit_return_rate,
        cast(lines_grouped.customer_count as integer) as customer_count,
        cast(lines_grouped.return_customer_count as integer)
            as return_customer_count,
        {{ divide_rounded(
            'lines_grouped.return_customer_count',
            'lines_grouped.customer_count',
            4
        ) }} as return_customer_share,
        cast(lines_grouped.return_line_count as integer) as return_line_count,
        cast(
            coalesce(matches_grouped.matched_return_line_count, 0) as integer
        ) as matched_return_line_count,
        cast(
            coalesce(matches_grouped.matched_returned_amount, 0)
            as numeric(18, 2)
        ) as matched_returned_amount,
        {{ divide_rounded(
            'matches_grouped.matched_returned_amount',
            'lines_grouped.returned_amount',
            4
        ) }} as matched_return_share,
        {{ divide_rounded(
            'matches_grouped.days_to_return_sum',
            'matches_grouped.matched_return_line_count',
            1
        ) }} as average_days_to_return,
        cast(matches_grouped.max_days_to_return as integer)
            as max_days_to_return,
        cast(lines_grouped.last_load_id as integer) as last_load_id
    from lines_grouped
    inner join data_months
        on lines_grouped.month_start_date = data_months.month_start_date
    left join dim_countries
        on lines_grouped.country_code = dim_countries.country_code
    left join matches_grouped
        on
            lines_grouped.month_start_date = matches_grouped.month_start_date
            and lines_grouped.country_code = matches_grouped.country_code
            and lines_grouped.product_group = matches_grouped.product_group

)

select * from final

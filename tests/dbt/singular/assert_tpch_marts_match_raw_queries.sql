-- TPC-H: the location mart agrees to the cent with queries written straight
-- on the raw tables. (1) Net revenue by customer nation and year: sale lines
-- by order year less returned lines (return flag R) by receipt year, each
-- line extended price x (1 - discount) to the cent. (2) Profit by supplier
-- nation and order year as TPC-H Q9 defines it (extended price x (1 -
-- discount) - supply cost x quantity, every line, here over all parts), per
-- line to the cent, against margin_before_returns; and the unrounded Q9
-- within half a cent a line of it. Returns the rows that disagree.
{{ config(enabled=sales_source() == 'tpch') }}

with

lineitem as (

    select * from {{ source('tpch', 'tpch_lineitem') }}

),

orders as (

    select * from {{ source('tpch', 'tpch_orders') }}

),

customer as (

    select * from {{ source('tpch', 'tpch_customer') }}

),

supplier as (

    select * from {{ source('tpch', 'tpch_supplier') }}

),

partsupp as (

    select * from {{ source('tpch', 'tpch_partsupp') }}

),

nation as (

    select * from {{ source('tpch', 'tpch_nation') }}

),

tpch_nation_codes as (

    select * from {{ ref('tpch_nation_codes') }}

),

mart_location_monthly as (

    select * from {{ ref('mart_location_monthly') }}

),

lines as (

    select
        customer_nation.n_name as customer_nation,
        supplier_nation.n_name as supplier_nation,
        extract(year from cast(orders.o_orderdate as date)) as order_year,
        extract(year from cast(lineitem.l_receiptdate as date))
            as receipt_year,
        lineitem.l_returnflag = 'R' as is_returned,
        round(
            cast(lineitem.l_extendedprice as numeric(18, 2))
            * (1 - cast(lineitem.l_discount as numeric(4, 2))),
            2
        ) as amount,
        cast(lineitem.l_extendedprice as numeric(18, 2))
        * (1 - cast(lineitem.l_discount as numeric(4, 2)))
        - cast(partsupp.ps_supplycost as numeric(18, 2))
        * cast(lineitem.l_quantity as numeric(18, 2)) as q9_amount,
        cast(partsupp.ps_supplycost as numeric(18, 2))
        * cast(lineitem.l_quantity as numeric(18, 2)) as cost_amount
    from lineitem
    inner join orders
        on lineitem.l_orderkey = orders.o_orderkey
    inner join customer
        on orders.o_custkey = customer.c_custkey
    inner join nation as customer_nation
        on customer.c_nationkey = customer_nation.n_nationkey
    inner join supplier
        on lineitem.l_suppkey = supplier.s_suppkey
    inner join nation as supplier_nation
        on supplier.s_nationkey = supplier_nation.n_nationkey
    inner join partsupp
        on
            lineitem.l_partkey = partsupp.ps_partkey
            and lineitem.l_suppkey = partsupp.ps_suppkey

),

revenue_by_nation_year as (

    select
        customer_nation as nation_name,
        order_year as calendar_year,
        amount
    from lines
    union all
    select
        customer_nation as nation_name,
        receipt_year as calendar_year,
        -amount as amount
    from lines
    where is_returned

),

raw_revenue as (

    select
        tpch_nation_codes.country_code,
        revenue_by_nation_year.calendar_year,
        sum(revenue_by_nation_year.amount) as net_revenue
    from revenue_by_nation_year
    inner join tpch_nation_codes
        on revenue_by_nation_year.nation_name = tpch_nation_codes.nation_name
    group by 1, 2

),

raw_profit as (

    select
        tpch_nation_codes.country_code,
        lines.order_year as calendar_year,
        count(*) as line_count,
        sum(lines.amount - lines.cost_amount) as profit,
        sum(lines.q9_amount) as q9_profit
    from lines
    inner join tpch_nation_codes
        on lines.supplier_nation = tpch_nation_codes.nation_name
    group by 1, 2

),

mart_by_year as (

    select
        location_role,
        country_code,
        extract(year from month_start_date) as calendar_year,
        sum(net_revenue) as net_revenue,
        sum(margin_before_returns) as margin_before_returns
    from mart_location_monthly
    group by 1, 2, 3

),

mart_customer_years as (

    select * from mart_by_year
    where location_role = 'customer'

),

mart_supplier_years as (

    select * from mart_by_year
    where location_role = 'supplier'

),

revenue_compared as (

    select
        'net revenue, customer nation '
        || coalesce(raw_revenue.country_code, mart_by_year.country_code)
        || ' ' || cast(
            coalesce(raw_revenue.calendar_year, mart_by_year.calendar_year)
            as {{ dbt.type_string() }}
        ) as subject,
        raw_revenue.net_revenue as raw_value,
        mart_by_year.net_revenue as mart_value
    from raw_revenue
    full outer join mart_customer_years as mart_by_year
        on
            raw_revenue.country_code = mart_by_year.country_code
            and raw_revenue.calendar_year = mart_by_year.calendar_year
    where
        raw_revenue.net_revenue is null
        or mart_by_year.net_revenue is null
        or raw_revenue.net_revenue != mart_by_year.net_revenue

),

profit_compared as (

    select
        'Q9 profit, supplier nation '
        || coalesce(raw_profit.country_code, mart_by_year.country_code)
        || ' ' || cast(
            coalesce(raw_profit.calendar_year, mart_by_year.calendar_year)
            as {{ dbt.type_string() }}
        ) as subject,
        raw_profit.profit as raw_value,
        mart_by_year.margin_before_returns as mart_value
    from raw_profit
    full outer join mart_supplier_years as mart_by_year
        on
            raw_profit.country_code = mart_by_year.country_code
            and raw_profit.calendar_year = mart_by_year.calendar_year
    where
        raw_profit.profit is null
        or mart_by_year.margin_before_returns is null
        or raw_profit.profit != mart_by_year.margin_before_returns
        or abs(raw_profit.q9_profit - raw_profit.profit)
        > 0.005 * raw_profit.line_count

),

final as (

    select * from revenue_compared
    union all
    select * from profit_compared

)

select * from final

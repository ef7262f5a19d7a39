-- The floor's first step for TPC-H (scripts/bench_floor.py, docs/benchmark.md):
-- the kept order lines and their credit lines, as plain DuckDB SQL written
-- once by hand. Same rules as int_order_lines_classified and the sales core:
-- the first copy of an order line (order key, line number) in load and file
-- order is kept, lines of unknown orders, customers or part-suppliers are
-- dropped, net amount = extended price less discount rounded to the cent,
-- and a returned line gives a credit line 'R<order key>' dated at receipt.
create or replace table floor_lines as
with lines as (
    select
        cast(l_orderkey as bigint) as order_key,
        cast(l_partkey as integer) as part_key,
        cast(l_suppkey as integer) as supp_key,
        cast(cast(l_quantity as numeric(18, 2)) as integer) as quantity,
        cast(
            round(
                cast(l_extendedprice as numeric(18, 2))
                * (1 - cast(l_discount as numeric(4, 2))),
                2
            ) as numeric(18, 2)
        ) as net_amount,
        trim(l_returnflag) = 'R' as is_returned,
        cast(l_receiptdate as date) as receipt_date
    from raw_tpch_lineitem
    qualify row_number() over (
        partition by cast(l_orderkey as bigint), cast(l_linenumber as integer)
        order by load_id, source_row_number
    ) = 1
),
orders as (
    select
        cast(o_orderkey as bigint) as order_key,
        cast(o_custkey as integer) as customer_id,
        cast(o_orderdate as date) as order_date
    from raw_tpch_orders
),
customers as (
    select
        cast(c_custkey as integer) as customer_id,
        cast(c_nationkey as integer) as nation_key
    from raw_tpch_customer
),
part_suppliers as (
    select
        cast(ps_partkey as integer) as part_key,
        cast(ps_suppkey as integer) as supp_key
    from raw_tpch_partsupp
),
countries as (
    select
        cast(nations.n_nationkey as integer) as nation_key,
        codes.country_code
    from raw_tpch_nation as nations
    left join seed_tpch_nation_codes as codes
        on trim(nations.n_name) = codes.nation_name
),
kept as (
    select
        lines.order_key,
        lines.quantity,
        lines.net_amount,
        lines.is_returned,
        lines.receipt_date,
        orders.customer_id,
        orders.order_date,
        countries.country_code
    from lines
    inner join orders on lines.order_key = orders.order_key
    inner join customers on orders.customer_id = customers.customer_id
    inner join part_suppliers
        on lines.part_key = part_suppliers.part_key
        and lines.supp_key = part_suppliers.supp_key
    left join countries on customers.nation_key = countries.nation_key
)
select
    cast(order_key as varchar) as invoice_id,
    'sale' as invoice_kind,
    customer_id,
    country_code,
    'product' as revenue_group,
    true as is_product,
    quantity,
    cast(net_amount as numeric(18, 3)) as line_amount,
    cast(order_date as timestamp) as invoiced_at
from kept
union all
select
    'R' || cast(order_key as varchar),
    'cancellation',
    customer_id,
    country_code,
    'product',
    true,
    -quantity,
    cast(-net_amount as numeric(18, 3)),
    cast(receipt_date as timestamp)
from kept
where is_returned;


    -- Build actual result given inputs
with dbt_internal_unit_test_actual as (
  select
    "product_id","description","description_count","sale_line_count","min_unit_price","max_unit_price","mean_unit_price","median_unit_price","is_product","first_sold_at","last_sold_at", 'actual' as "actual_or_expected"
  from (
    with

 __dbt__cte__fct_invoice_lines as (

-- Fixture for fct_invoice_lines
select cast(null as character varying) as "invoice_line_id", cast(null as character varying) as "invoice_id", cast(null as integer) as "customer_id", 
    
    cast('22087' as character varying)
 as "product_id", cast(null as character varying) as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", 
    
    cast('product' as character varying)
 as "line_category", 
    
    cast('product' as character varying)
 as "revenue_group", 
    
    cast('OLD NAME' as character varying)
 as "description", cast(null as integer) as "quantity", 
    
    cast(1.0 as numeric(18,3))
 as "unit_price", cast(null as numeric(18,3)) as "line_amount", cast(null as boolean) as "is_product", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast('2010-01-01 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", 
    
    cast(1 as integer)
 as "load_id", 
    
    cast(1 as bigint)
 as "source_row_number"
union all
select cast(null as character varying) as "invoice_line_id", cast(null as character varying) as "invoice_id", cast(null as integer) as "customer_id", 
    
    cast('22087' as character varying)
 as "product_id", cast(null as character varying) as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", 
    
    cast('product' as character varying)
 as "line_category", 
    
    cast('product' as character varying)
 as "revenue_group", 
    
    cast('NEW NAME' as character varying)
 as "description", cast(null as integer) as "quantity", 
    
    cast(2.0 as numeric(18,3))
 as "unit_price", cast(null as numeric(18,3)) as "line_amount", cast(null as boolean) as "is_product", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast('2010-02-01 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", 
    
    cast(1 as integer)
 as "load_id", 
    
    cast(2 as bigint)
 as "source_row_number"
union all
select cast(null as character varying) as "invoice_line_id", cast(null as character varying) as "invoice_id", cast(null as integer) as "customer_id", 
    
    cast('22087' as character varying)
 as "product_id", cast(null as character varying) as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", 
    
    cast('product' as character varying)
 as "line_category", 
    
    cast('product' as character varying)
 as "revenue_group", 
    
    cast(null as character varying)
 as "description", cast(null as integer) as "quantity", 
    
    cast(4.0 as numeric(18,3))
 as "unit_price", cast(null as numeric(18,3)) as "line_amount", cast(null as boolean) as "is_product", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast('2010-03-01 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", 
    
    cast(1 as integer)
 as "load_id", 
    
    cast(3 as bigint)
 as "source_row_number"
union all
select cast(null as character varying) as "invoice_line_id", cast(null as character varying) as "invoice_id", cast(null as integer) as "customer_id", 
    
    cast('22087' as character varying)
 as "product_id", cast(null as character varying) as "country_code", 
    
    cast('cancellation' as character varying)
 as "invoice_kind", 
    
    cast('product' as character varying)
 as "line_category", 
    
    cast('product' as character varying)
 as "revenue_group", 
    
    cast('RETURNED' as character varying)
 as "description", cast(null as integer) as "quantity", 
    
    cast(100.0 as numeric(18,3))
 as "unit_price", cast(null as numeric(18,3)) as "line_amount", cast(null as boolean) as "is_product", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast('2010-01-15 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", 
    
    cast(1 as integer)
 as "load_id", 
    
    cast(4 as bigint)
 as "source_row_number"
union all
select cast(null as character varying) as "invoice_line_id", cast(null as character varying) as "invoice_id", cast(null as integer) as "customer_id", 
    
    cast('POST' as character varying)
 as "product_id", cast(null as character varying) as "country_code", 
    
    cast('sale' as character varying)
 as "invoice_kind", 
    
    cast('postage' as character varying)
 as "line_category", 
    
    cast('shipping' as character varying)
 as "revenue_group", 
    
    cast('POSTAGE' as character varying)
 as "description", cast(null as integer) as "quantity", 
    
    cast(18.0 as numeric(18,3))
 as "unit_price", cast(null as numeric(18,3)) as "line_amount", cast(null as boolean) as "is_product", cast(null as boolean) as "has_customer", cast(null as boolean) as "is_cancellation", 
    
    cast('2010-01-01 10:00:00' as timestamp without time zone)
 as "invoiced_at", cast(null as date) as "invoice_date", 
    
    cast(1 as integer)
 as "load_id", 
    
    cast(5 as bigint)
 as "source_row_number"
), fct_invoice_lines as (

    select * from __dbt__cte__fct_invoice_lines

),

-- Current description: the one on the product's latest line that has one
-- (latest invoice time, then the higher invoice number, then the
-- alphabetically first description: values only, so the result does not
-- depend on which copy of a duplicated line was kept).
descriptions_ranked as (

    select
        product_id,
        description,
        row_number() over (
            partition by product_id
            order by invoiced_at desc, invoice_id desc, description asc
        ) as description_rank
    from fct_invoice_lines
    where description is not null

),

current_descriptions as (

    select
        product_id,
        description
    from descriptions_ranked
    where description_rank = 1

),

products_aggregated as (

    select
        product_id,
        max(line_category) as line_category,
        max(revenue_group) as revenue_group,
        count(distinct description) as description_count,
        min(
            case when invoice_kind = 'sale' then invoiced_at end
        ) as first_sold_at,
        max(
            case when invoice_kind = 'sale' then invoiced_at end
        ) as last_sold_at,
        sum(case when invoice_kind = 'sale' then 1 else 0 end)
            as sale_line_count,
        min(case when invoice_kind = 'sale' then unit_price end)
            as min_unit_price,
        max(case when invoice_kind = 'sale' then unit_price end)
            as max_unit_price,
        cast(
        floor(
            (
                cast(sum(case when invoice_kind = 'sale' then unit_price end) as numeric(38, 3)) * 2000000
                + cast(sum(case when invoice_kind = 'sale' then 1 else 0 end) as numeric(38, 3)) * 1000
            )
            / nullif(cast(sum(case when invoice_kind = 'sale' then 1 else 0 end) as numeric(38, 3)) * 2000, 0)
        )
        * cast(0.001 as numeric(18, 3))
        as numeric(18, 3)
    ) as mean_unit_price,
        cast(
        percentile_cont(0.5) within group (
            order by cast(case when invoice_kind = 'sale' then unit_price end as double precision)
        ) as numeric(38, 6)
    ) as median_unit_price
    from fct_invoice_lines
    group by 1

),

final as (

    select
        products_aggregated.product_id,
        current_descriptions.description,
        products_aggregated.line_category,
        products_aggregated.revenue_group,
        cast(products_aggregated.description_count as integer)
            as description_count,
        cast(products_aggregated.sale_line_count as integer)
            as sale_line_count,
        cast(products_aggregated.min_unit_price as numeric(18, 3))
            as min_unit_price,
        cast(products_aggregated.max_unit_price as numeric(18, 3))
            as max_unit_price,
        cast(products_aggregated.mean_unit_price as numeric(18, 3))
            as mean_unit_price,
        cast(products_aggregated.median_unit_price as numeric(18, 3))
            as median_unit_price,
        products_aggregated.revenue_group = 'product' as is_product,
        products_aggregated.first_sold_at,
        products_aggregated.last_sold_at
    from products_aggregated
    left join current_descriptions
        on products_aggregated.product_id = current_descriptions.product_id

)

select * from final
  ) _dbt_internal_unit_test_actual
),
-- Build expected result
dbt_internal_unit_test_expected as (
  select
    "product_id", "description", "description_count", "sale_line_count", "min_unit_price", "max_unit_price", "mean_unit_price", "median_unit_price", "is_product", "first_sold_at", "last_sold_at", 'expected' as "actual_or_expected"
  from (
    select 
    
    cast('22087' as character varying)
 as "product_id", 
    
    cast('NEW NAME' as character varying)
 as "description", 
    
    cast(3 as integer)
 as "description_count", 
    
    cast(3 as integer)
 as "sale_line_count", 
    
    cast(1.0 as numeric(18,3))
 as "min_unit_price", 
    
    cast(4.0 as numeric(18,3))
 as "max_unit_price", 
    
    cast(2.333 as numeric(18,3))
 as "mean_unit_price", 
    
    cast(2.0 as numeric(18,3))
 as "median_unit_price", 
    
    cast(True as boolean)
 as "is_product", 
    
    cast('2010-01-01 10:00:00' as timestamp without time zone)
 as "first_sold_at", 
    
    cast('2010-03-01 10:00:00' as timestamp without time zone)
 as "last_sold_at"
union all
select 
    
    cast('POST' as character varying)
 as "product_id", 
    
    cast('POSTAGE' as character varying)
 as "description", 
    
    cast(1 as integer)
 as "description_count", 
    
    cast(1 as integer)
 as "sale_line_count", 
    
    cast(18.0 as numeric(18,3))
 as "min_unit_price", 
    
    cast(18.0 as numeric(18,3))
 as "max_unit_price", 
    
    cast(18.0 as numeric(18,3))
 as "mean_unit_price", 
    
    cast(18.0 as numeric(18,3))
 as "median_unit_price", 
    
    cast(False as boolean)
 as "is_product", 
    
    cast('2010-01-01 10:00:00' as timestamp without time zone)
 as "first_sold_at", 
    
    cast('2010-01-01 10:00:00' as timestamp without time zone)
 as "last_sold_at"
  ) _dbt_internal_unit_test_expected
)
-- Union actual and expected results
select * from dbt_internal_unit_test_actual
union all
select * from dbt_internal_unit_test_expected
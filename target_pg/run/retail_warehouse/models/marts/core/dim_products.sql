
  
    

  create  table "retail_warehouse"."marts"."dim_products__dbt_tmp"
  
  
    
  
  (
    product_id varchar not null primary key,
    description varchar,
    line_category varchar,
    revenue_group varchar,
    description_count integer,
    sale_line_count integer,
    min_unit_price numeric(18, 3),
    max_unit_price numeric(18, 3),
    mean_unit_price numeric(18, 3),
    median_unit_price numeric(18, 3),
    is_product boolean,
    first_sold_at timestamp,
    last_sold_at timestamp
    
    )
 ;
    insert into "retail_warehouse"."marts"."dim_products__dbt_tmp" (
      product_id, description, line_category, revenue_group, description_count, sale_line_count, min_unit_price, max_unit_price, mean_unit_price, median_unit_price, is_product, first_sold_at, last_sold_at
    )
  
  (
    
    select product_id, description, line_category, revenue_group, description_count, sale_line_count, min_unit_price, max_unit_price, mean_unit_price, median_unit_price, is_product, first_sold_at, last_sold_at
    from (
        with

fct_invoice_lines as (

    select * from "retail_warehouse"."marts"."fct_invoice_lines"

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
    ) as model_subq
  );
  
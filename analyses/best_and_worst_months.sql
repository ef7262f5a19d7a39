-- Which complete months had the highest and the lowest net revenue?
with

mart_sales_monthly as (

    select * from {{ ref('mart_sales_monthly') }}

),

ranked as (

    select
        month_start_date,
        net_revenue,
        row_number() over (order by net_revenue desc) as best_rank,
        row_number() over (order by net_revenue asc) as worst_rank
    from mart_sales_monthly
    where is_complete_month

)

select
    month_start_date,
    net_revenue,
    case when best_rank <= 3 then 'best' else 'worst' end as kind
from ranked
where best_rank <= 3 or worst_rank <= 3
order by net_revenue desc

with

fct_invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

int_suppliers_standardized as (

    select * from {{ ref('int_suppliers_standardized') }}

),

dim_countries as (

    select * from {{ ref('dim_countries') }}

),

-- Late shipments are counted over sale lines (a credit line repeats its
-- sale line's delivery).
suppliers_aggregated as (

    select
        supplier_id,
        count(distinct product_id) as supplied_part_count,
        sum(case when invoice_kind = 'sale' then 1 else 0 end)
            as sale_line_count,
        {{ line_measures([
                'units_sold',
                'gross_sales',
                'returned_amount',
                'net_revenue',
                'cost_of_goods',
                'gross_margin'
            ]) }},
        sum(
            case
                when invoice_kind = 'sale' and is_late_delivery then 1 else 0
            end
        ) as late_line_count
    from fct_invoice_lines
    where is_product and supplier_id is not null
    group by 1

),

suppliers_ranked as (

    select
        *,
        row_number() over (
            order by gross_margin desc, supplier_id asc
        ) as margin_rank,
        row_number() over (
            order by net_revenue desc, supplier_id asc
        ) as revenue_rank
    from suppliers_aggregated

),

final as (

    select
        cast(suppliers_ranked.supplier_id as {{ dbt.type_string() }})
            as supplier_id,
        int_suppliers_standardized.supplier_name,
        int_suppliers_standardized.location_id as country_code,
        dim_countries.country_name,
        dim_countries.region,
        cast(suppliers_ranked.supplied_part_count as integer)
            as supplied_part_count,
        cast(suppliers_ranked.sale_line_count as integer) as sale_line_count,
        cast(suppliers_ranked.units_sold as bigint) as units_sold,
        {{ margin_columns('suppliers_ranked') }},
        cast(suppliers_ranked.late_line_count as integer) as late_line_count,
        {{ divide_rounded(
            'suppliers_ranked.late_line_count',
            'suppliers_ranked.sale_line_count',
            6,
            9
        ) }} as late_shipment_share,
        cast(suppliers_ranked.margin_rank as integer) as margin_rank,
        cast(suppliers_ranked.revenue_rank as integer) as revenue_rank
    from suppliers_ranked
    left join int_suppliers_standardized
        on suppliers_ranked.supplier_id = int_suppliers_standardized.supplier_id
    left join dim_countries
        on int_suppliers_standardized.location_id = dim_countries.country_code

)

select * from final

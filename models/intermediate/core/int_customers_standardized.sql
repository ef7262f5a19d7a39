{#-
    One row per customer of the source chosen by sales_source. TPC-H has a
    customer master (name, nation, market segment); Online Retail II only
    customer numbers on invoice lines (their country is chosen from the
    invoices, in dim_customers).
-#}
with

{% if sales_source() == 'tpch' -%}

stg_tpch__customers as (

    select * from {{ ref('stg_tpch__customers') }}

),

int_nations_coded as (

    select * from {{ ref('int_nations_coded') }}

),

customers_mapped as (

    select
        stg_tpch__customers.customer_id,
        stg_tpch__customers.customer_name,
        int_nations_coded.country_code as location_id,
        stg_tpch__customers.market_segment
    from stg_tpch__customers
    left join int_nations_coded
        on stg_tpch__customers.nation_id = int_nations_coded.nation_id

),

{%- else %}

int_invoice_lines_cleaned as (

    select * from {{ ref('int_invoice_lines_cleaned') }}

),

customers_mapped as (

    select
        customer_id,
        cast(null as {{ dbt.type_string() }}) as customer_name,
        cast(null as {{ dbt.type_string() }}) as location_id,
        cast(null as {{ dbt.type_string() }}) as market_segment
    from int_invoice_lines_cleaned
    where customer_id is not null
    group by 1

),

{%- endif %}

final as (

    select
        cast(customer_id as integer) as customer_id,
        cast(customer_name as {{ dbt.type_string() }}) as customer_name,
        cast(location_id as {{ dbt.type_string() }}) as location_id,
        cast(market_segment as {{ dbt.type_string() }}) as market_segment
    from customers_mapped

)

select * from final

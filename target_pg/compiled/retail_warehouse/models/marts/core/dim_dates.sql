with

fct_invoices as (

    select * from "retail_warehouse"."marts"."fct_invoices"

),

-- Whole calendar years around the data, as BI date tables expect
-- (Power BI's "mark as date table" wants full years without gaps).
bounds as (

    select
        min(invoice_date) as first_invoice_date,
        max(invoice_date) as last_invoice_date,
        cast(
            date_trunc('year', min(invoice_date)) as date
        ) as calendar_start_date,
        cast(
            

    

    date_trunc('year', max(invoice_date)) + ((interval '1 year') * (1))

 + ((interval '1 day') * (-1))

 as date
        ) as calendar_end_date
    from fct_invoices

),

digits as (

    select 0 as digit
    union all
    select 1 as digit
    union all
    select 2 as digit
    union all
    select 3 as digit
    union all
    select 4 as digit
    union all
    select 5 as digit
    union all
    select 6 as digit
    union all
    select 7 as digit
    union all
    select 8 as digit
    union all
    select 9 as digit
    
    

),

day_numbers as (

    select
        thousands.digit * 1000
        + hundreds.digit * 100
        + tens.digit * 10
        + units.digit as day_number
    from digits as thousands
    cross join digits as hundreds
    cross join digits as tens
    cross join digits as units

),

days as (

    select
        cast(
            

    bounds.calendar_start_date + ((interval '1 day') * (day_numbers.day_number))

 as date
        ) as date_day,
        bounds.first_invoice_date,
        bounds.last_invoice_date
    from day_numbers
    cross join bounds
    where
        day_numbers.day_number
        <= 
        ((bounds.calendar_end_date)::date - (bounds.calendar_start_date)::date)
    

),

days_described as (

    select
        date_day,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(quarter from date_day) as integer) as calendar_quarter,
        cast(extract(month from date_day) as integer) as month_of_year,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(doy from date_day) as integer) as day_of_year,
        cast(extract(isodow from date_day) as integer) as iso_day_of_week,
        cast(extract(week from date_day) as integer) as iso_week_of_year,
        cast(date_trunc('week', date_day) as date)
            as week_start_date,
        cast(date_trunc('month', date_day) as date)
            as month_start_date,
        cast(date_trunc('quarter', date_day) as date)
            as quarter_start_date,
        date_day between first_invoice_date and last_invoice_date
            as is_in_data_range
    from days

),

-- A month is complete when the data covers every one of its days; the
-- monthly marts carry this flag so BI tools can leave a partial month out.
days_with_month_coverage as (

    select
        *,
        min(case when is_in_data_range then 1 else 0 end) over (
            partition by month_start_date
        ) = 1 as is_complete_month
    from days_described

),

final as (

    select
        date_day,
        calendar_year,
        calendar_quarter,
        month_of_year,
        case month_of_year
            when 1 then 'January'
            when 2 then 'February'
            when 3 then 'March'
            when 4 then 'April'
            when 5 then 'May'
            when 6 then 'June'
            when 7 then 'July'
            when 8 then 'August'
            when 9 then 'September'
            when 10 then 'October'
            when 11 then 'November'
            when 12 then 'December'
            end as month_name,
        cast(cast(extract(year from date_day) as integer)
        as TEXT)
    || '-'
    || lpad(
        cast(cast(extract(month from date_day) as integer)
            as TEXT),
        2,
        '0'
    ) as calendar_month,
        day_of_month,
        day_of_year,
        iso_day_of_week,
        case iso_day_of_week
            when 1 then 'Monday'
            when 2 then 'Tuesday'
            when 3 then 'Wednesday'
            when 4 then 'Thursday'
            when 5 then 'Friday'
            when 6 then 'Saturday'
            when 7 then 'Sunday'
            end as day_name,
        iso_week_of_year,
        week_start_date,
        month_start_date,
        quarter_start_date,
        iso_day_of_week >= 6 as is_weekend,
        is_in_data_range,
        is_complete_month
    from days_with_month_coverage

)

select * from final
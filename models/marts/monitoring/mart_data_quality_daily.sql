with

stg_monitoring__dbt_run_results as (

    select * from {{ ref('stg_monitoring__dbt_run_results') }}

),

test_runs as (

    select
        run_date,
        unique_id as test_id,
        node_name as test_name,
        run_id,
        run_started_at,
        status,
        coalesce(failures, 0) as failing_rows,
        case
            when status in ('fail', 'error') then 'fail'
            else status
        end as outcome
    from stg_monitoring__dbt_run_results
    where resource_type = 'test'

),

test_runs_ranked as (

    select
        *,
        row_number() over (
            partition by run_date, test_id
            order by run_started_at desc, run_id desc
        ) as newest_first
    from test_runs

),

days_counted as (

    select
        run_date,
        test_id,
        test_name,
        count(*) as run_count,
        sum(case when outcome = 'pass' then 1 else 0 end) as pass_count,
        sum(case when outcome = 'warn' then 1 else 0 end) as warn_count,
        sum(case when outcome = 'fail' then 1 else 0 end) as fail_count,
        sum(case when outcome = 'skipped' then 1 else 0 end) as skipped_count,
        max(failing_rows) as max_failing_row_count
    from test_runs
    group by 1, 2, 3

),

last_runs as (

    select
        run_date,
        test_id,
        outcome as last_outcome,
        failing_rows as last_failing_row_count
    from test_runs_ranked
    where newest_first = 1

),

final as (

    select
        days_counted.run_date,
        days_counted.test_id,
        days_counted.test_name,
        case
            when days_counted.fail_count > 0 then 'fail'
            when days_counted.warn_count > 0 then 'warn'
            when days_counted.pass_count > 0 then 'pass'
            else 'skipped'
        end as day_outcome,
        last_runs.last_outcome,
        cast(days_counted.run_count as integer) as run_count,
        cast(days_counted.pass_count as integer) as pass_count,
        cast(days_counted.warn_count as integer) as warn_count,
        cast(days_counted.fail_count as integer) as fail_count,
        cast(days_counted.skipped_count as integer) as skipped_count,
        cast(last_runs.last_failing_row_count as bigint)
            as last_failing_row_count,
        cast(days_counted.max_failing_row_count as bigint)
            as max_failing_row_count
    from days_counted
    inner join last_runs
        on
            days_counted.run_date = last_runs.run_date
            and days_counted.test_id = last_runs.test_id

)

select * from final

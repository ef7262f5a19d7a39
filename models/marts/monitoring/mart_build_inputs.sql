with

-- Every load attempt; only succeeded loads changed the raw tables.
load_log as (

    select * from {{ source('loads', 'load_log') }}

),

succeeded_loads as (

    select
        cast(max(load_id) as integer) as newest_load_id,
        cast(count(*) as integer) as succeeded_load_count
    from load_log
    where status = 'succeeded'

)

select
    -- Set by `retail-warehouse build` (build_inputs.py); none for a
    -- plain dbt build, which therefore never counts as up to date.
    cast(
        '{{ env_var("RW_BUILD_FINGERPRINT", "none") }}' as {{ text_type() }}
    ) as project_fingerprint,
    newest_load_id,
    succeeded_load_count
from succeeded_loads

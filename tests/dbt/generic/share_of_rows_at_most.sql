{#-
    A data-quality monitor: fails when the share of rows for which the
    condition is true is above max_share (0..1). Meant for facts of the data
    (missing customers, exclusions) with severity warn: a new extract that
    drifts is reported without stopping the build.
-#}
{% test share_of_rows_at_most(model, condition, max_share) %}

with

counted as (

    select
        count(*) as total_rows,
        sum(case when {{ condition }} then 1 else 0 end) as matching_rows
    from {{ model }}

),

validation as (

    select
        total_rows,
        matching_rows,
        cast(matching_rows as numeric(18, 6))
        / nullif(total_rows, 0) as matching_share
    from counted
    where
        cast(matching_rows as numeric(18, 6))
        > {{ max_share }} * total_rows

)

select * from validation

{% endtest %}

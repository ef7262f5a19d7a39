-- The seed rfm_segments maps each of the 25 (r_score, f_score) pairs of
-- scores 1..5 to exactly one segment, and nothing else: returns the pairs
-- that are missing, repeated or out of range, with what is wrong.
with

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

scores as (

    {% for score in range(1, 6) -%}
    select {{ score }} as score
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

expected_cells as (

    select
        r_scores.score as r_score,
        f_scores.score as f_score
    from scores as r_scores
    cross join scores as f_scores

),

seed_cells as (

    select
        r_score,
        f_score,
        count(*) as segment_count
    from rfm_segments
    group by 1, 2

),

final as (

    select
        coalesce(expected_cells.r_score, seed_cells.r_score) as r_score,
        coalesce(expected_cells.f_score, seed_cells.f_score) as f_score,
        case
            when seed_cells.r_score is null then 'pair has no segment'
            when expected_cells.r_score is null then 'scores out of range'
            else 'pair has more than one segment'
        end as problem
    from expected_cells
    full outer join seed_cells
        on
            expected_cells.r_score = seed_cells.r_score
            and expected_cells.f_score = seed_cells.f_score
    where
        seed_cells.r_score is null
        or expected_cells.r_score is null
        or seed_cells.segment_count != 1

)

select * from final

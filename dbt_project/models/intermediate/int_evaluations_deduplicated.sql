-- One row per 好差评 evaluation: overlapping exports of the same evaluation id count once.
with

versions as (
    select * from {{ ref('int_evaluations_versioned') }}
),

latest as (
    select * from versions
    where version_rank = 1
),

final as (
    select {{ star_except(ref('int_evaluations_versioned'), ['version_rank', 'version_count']) }}
    from latest
)

select * from final

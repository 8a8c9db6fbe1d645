-- One row per service-hall case (办件): the latest export wins.
with

versions as (
    select * from {{ ref('int_service_cases_versioned') }}
),

latest as (
    select * from versions
    where version_rank = 1
),

final as (
    select {{ star_except(ref('int_service_cases_versioned'), ['version_rank']) }}
    from latest
)

select * from final

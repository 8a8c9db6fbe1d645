-- One row per 12345 order: the latest export wins.
with

versions as (
    select * from {{ ref('int_hotline_orders_versioned') }}
),

latest as (
    select * from versions
    where version_rank = 1
),

final as (
    select {{ star_except(ref('int_hotline_orders_versioned'), ['version_rank']) }}
    from latest
)

select * from final

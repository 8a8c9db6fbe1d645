with

regions as (
    select * from {{ ref('gbt2260_regions') }}
),

final as (
    select
        region_code::varchar as region_code,
        region_name::varchar as region_name,
        nullif(parent_code, '')::varchar as parent_code,
        level::varchar as level
    from regions
)

select * from final

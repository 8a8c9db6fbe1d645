with

regions as (
    select * from {{ ref('gbt2260_regions') }}
),

final as (
    select
        region_code::{{ column_type('varchar') }} as region_code,
        region_name::{{ column_type('varchar') }} as region_name,
        nullif(parent_code, '')::{{ column_type('varchar') }} as parent_code,
        level::{{ column_type('varchar') }} as level
    from regions
)

select * from final

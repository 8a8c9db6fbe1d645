-- The status of each 12345 order as each export saw it, oldest export first.
with

versions as (
    select * from {{ ref('int_hotline_orders_versioned') }}
),

final as (
    select
        order_key,
        region_code,
        source_order_id,
        version_count - version_rank + 1 as version_number,
        version_rank = 1 as is_latest,
        exported_at,
        file_modified_at,
        status,
        closed_at,
        handling_unit,
        source_file,
        source_sheet,
        source_row
    from versions
)

select * from final

with

source as (
    select * from {{ source('landing', 'evaluations') }}
),

final as (
    select
        -- lineage
        source_file,
        source_sheet,
        source_row::integer as source_row,
        sha256 as file_sha256,
        region_code,
        exported_at,
        file_modified_at,
        -- evaluation
        source_evaluation_id,
        evaluated_at,
        channel,
        item_name,
        department,
        admin_level,
        rating::integer as rating,
        rating_label,
        comment_masked
    from source
)

select * from final

with

source as (
    select * from {{ source('landing', 'reported_stats') }}
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
        -- figure
        dataset,
        table_title,
        subject,
        metric,
        metric_label,
        value::double as value,
        period_start,
        period_end
    from source
)

select * from final

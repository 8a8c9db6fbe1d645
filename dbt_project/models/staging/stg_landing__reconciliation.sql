with

source as (
    select * from {{ source('landing', 'reconciliation') }}
),

final as (
    select
        source_file,
        source_sheet,
        source_row::integer as source_row,
        sha256 as file_sha256,
        region_code,
        subject,
        metric,
        metric_label,
        reported_total::{{ column_type('double') }} as reported_total,
        computed_total::{{ column_type('double') }} as computed_total,
        is_match
    from source
)

select * from final

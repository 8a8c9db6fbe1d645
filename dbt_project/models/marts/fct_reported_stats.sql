with

stats as (
    select * from {{ ref('stg_landing__reported_stats') }}
),

final as (
    select
        region_code::{{ column_type('varchar') }} as region_code,
        dataset::{{ column_type('varchar') }} as dataset,
        table_title::{{ column_type('varchar') }} as table_title,
        subject::{{ column_type('varchar') }} as subject,
        metric::{{ column_type('varchar') }} as metric,
        metric_label::{{ column_type('varchar') }} as metric_label,
        value::{{ column_type('double') }} as value,
        period_start::date as period_start,
        period_end::date as period_end,
        exported_at::{{ column_type('timestamp') }} as exported_at,
        source_file::{{ column_type('varchar') }} as source_file,
        source_sheet::{{ column_type('varchar') }} as source_sheet,
        source_row::integer as source_row
    from stats
)

select * from final

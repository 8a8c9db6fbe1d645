with

stats as (
    select * from {{ ref('stg_landing__reported_stats') }}
),

final as (
    select
        region_code::varchar as region_code,
        dataset::varchar as dataset,
        table_title::varchar as table_title,
        subject::varchar as subject,
        metric::varchar as metric,
        metric_label::varchar as metric_label,
        value::double as value,
        period_start::date as period_start,
        period_end::date as period_end,
        exported_at::timestamp as exported_at,
        source_file::varchar as source_file,
        source_sheet::varchar as source_sheet,
        source_row::integer as source_row
    from stats
)

select * from final

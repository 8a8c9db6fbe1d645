with

checks as (
    select * from {{ ref('stg_landing__reconciliation') }}
),

final as (
    select
        source_file::varchar as source_file,
        source_sheet::varchar as source_sheet,
        source_row::integer as source_row,
        region_code::varchar as region_code,
        subject::varchar as subject,
        metric::varchar as metric,
        metric_label::varchar as metric_label,
        reported_total::double as reported_total,
        computed_total::double as computed_total,
        is_match::boolean as is_match,
        (computed_total - reported_total)::double as difference
    from checks
)

select * from final

with

checks as (
    select * from {{ ref('stg_landing__reconciliation') }}
),

final as (
    select
        source_file::{{ column_type('varchar') }} as source_file,
        source_sheet::{{ column_type('varchar') }} as source_sheet,
        source_row::integer as source_row,
        region_code::{{ column_type('varchar') }} as region_code,
        subject::{{ column_type('varchar') }} as subject,
        metric::{{ column_type('varchar') }} as metric,
        metric_label::{{ column_type('varchar') }} as metric_label,
        reported_total::{{ column_type('double') }} as reported_total,
        computed_total::{{ column_type('double') }} as computed_total,
        is_match::boolean as is_match,
        (computed_total - reported_total)::{{ column_type('double') }} as difference
    from checks
)

select * from final

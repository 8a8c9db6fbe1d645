with

source as (
    select * from {{ source('landing', 'reported_stats') }}
),

final as (
    select
        -- lineage
        {{ landing_lineage_columns() }},
        -- figure
        dataset,
        table_title,
        subject,
        metric,
        metric_label,
        value::{{ column_type('double') }} as value,
        period_start,
        period_end
    from source
)

select * from final

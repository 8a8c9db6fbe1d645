with

source as (
    select * from {{ source('landing', 'evaluations') }}
),

final as (
    select
        -- lineage
        {{ landing_lineage_columns() }},
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

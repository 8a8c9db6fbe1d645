with

source as (
    select * from {{ source('landing', 'hotline_orders') }}
),

final as (
    select
        -- lineage
        {{ landing_lineage_columns() }},
        -- order
        source_order_id,
        received_at,
        dispatched_at,
        accepted_at,
        due_at,
        closed_at,
        handling_unit,
        appeal_type,
        category,
        channel,
        admin_level,
        status,
        satisfaction_label,
        is_redone,
        supervised_count::integer as supervised_count,
        content_masked,
        caller_key
    from source
)

select * from final

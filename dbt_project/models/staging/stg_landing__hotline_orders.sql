with

source as (
    select * from {{ source('landing', 'hotline_orders') }}
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

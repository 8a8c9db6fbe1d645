-- Incremental by source file: only the keys of changed source files are rebuilt (see
-- macros/fact_increment_prepare.sql); `dbt build --full-refresh` rebuilds the whole table.
{{
    config(
        materialized=fact_increment_materialized(),
        incremental_strategy='delete+insert',
        unique_key='order_key',
        on_schema_change='fail',
        pre_hook="{{ fact_increment_prepare('int_hotline_orders_versioned') }}",
        post_hook="{{ fact_increment_record('int_hotline_orders_versioned') }}"
    )
}}

with

orders as (
    select * from {{ ref('int_hotline_orders_deduplicated') }}
    {{ fact_increment_filter('order_key') }}
),

flagged as (
    select
        *,
        -- Closed when the status says so or a closing time is set; open when a status says
        -- otherwise; unknown (null) when the export has neither: never guessed as open.
        case
            when status = '已办结' or closed_at is not null then true
            when status is not null then false
        end as is_closed,
        -- 本级 orders are handled by the hotline office itself; every other level is assigned.
        (admin_level is distinct from '本级') as is_assigned,
        dispatched_at is not null as is_dispatched,
        coalesce(
            accepted_at <= {{ add_hours('dispatched_at', var('timely_receipt_hours', 24)) }},
            false
        ) as is_received_timely
    from orders
),

judged as (
    select
        *,
        -- Closed orders are late when closed after the deadline; open ones when the export
        -- that reported them was taken after it. No deadline, never late.
        coalesce(
            case
                when due_at is null then false
                when is_closed then closed_at > due_at
                else coalesce(exported_at, file_modified_at) > due_at
            end,
            false
        ) as is_overdue,
        case
            when closed_at is not null and received_at is not null
                then {{ working_days_between('received_at::date', 'closed_at::date') }}
        end as handling_working_days
    from flagged
),

final as (
    select
        -- keys
        order_key::{{ column_type('varchar') }} as order_key,
        region_code::{{ column_type('varchar') }} as region_code,
        source_order_id::{{ column_type('varchar') }} as source_order_id,
        has_source_id::boolean as has_source_id,
        -- times
        received_at::{{ column_type('timestamp') }} as received_at,
        received_at::date as received_date,
        date_trunc('month', received_at)::date as received_month,
        dispatched_at::{{ column_type('timestamp') }} as dispatched_at,
        accepted_at::{{ column_type('timestamp') }} as accepted_at,
        due_at::{{ column_type('timestamp') }} as due_at,
        closed_at::{{ column_type('timestamp') }} as closed_at,
        -- attributes
        handling_unit::{{ column_type('varchar') }} as handling_unit,
        appeal_type::{{ column_type('varchar') }} as appeal_type,
        category::{{ column_type('varchar') }} as category,
        channel::{{ column_type('varchar') }} as channel,
        admin_level::{{ column_type('varchar') }} as admin_level,
        status::{{ column_type('varchar') }} as status,
        satisfaction_label::{{ column_type('varchar') }} as satisfaction_label,
        is_redone::boolean as is_redone,
        supervised_count::integer as supervised_count,
        content_masked::{{ column_type('varchar') }} as content_masked,
        caller_key::{{ column_type('varchar') }} as caller_key,
        -- derived
        is_closed::boolean as is_closed,
        is_assigned::boolean as is_assigned,
        is_dispatched::boolean as is_dispatched,
        is_received_timely::boolean as is_received_timely,
        is_overdue::boolean as is_overdue,
        handling_working_days::integer as handling_working_days,
        -- lineage
        exported_at::{{ column_type('timestamp') }} as exported_at,
        file_modified_at::{{ column_type('timestamp') }} as file_modified_at,
        version_count::integer as version_count,
        source_file::{{ column_type('varchar') }} as source_file,
        source_sheet::{{ column_type('varchar') }} as source_sheet,
        source_row::integer as source_row
    from judged
)

select * from final

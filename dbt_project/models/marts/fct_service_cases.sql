-- Incremental by source file: only the keys of changed source files are rebuilt (see
-- macros/fact_increment_prepare.sql); `dbt build --full-refresh` rebuilds the whole table.
{{
    config(
        materialized=fact_increment_materialized(),
        incremental_strategy='delete+insert',
        unique_key='case_key',
        on_schema_change='fail',
        pre_hook="{{ fact_increment_prepare('int_service_cases_versioned') }}",
        post_hook="{{ fact_increment_record('int_service_cases_versioned') }}"
    )
}}

with

cases as (
    select * from {{ ref('int_service_cases_deduplicated') }}
    {{ fact_increment_filter('case_key') }}
),

due as (
    select
        *,
        -- Unknown (null) when the export has neither a status nor a completion time.
        case
            when status = '已办结' or completed_at is not null then true
            when status is not null then false
        end as is_completed,
        case
            when accepted_at is not null and promised_working_days is not null
                then {{ add_working_days('accepted_at::date', 'promised_working_days') }}
        end as due_date
    from cases
),

judged as (
    select
        *,
        -- Late when completed after the due date, or still open when the export was taken
        -- after it. No promise, never late.
        coalesce(
            case
                when due_date is null then false
                when is_completed then completed_at::date > due_date
                else coalesce(exported_at, file_modified_at)::date > due_date
            end,
            false
        ) as is_overdue
    from due
),

final as (
    select
        -- keys
        case_key::{{ column_type('varchar') }} as case_key,
        region_code::{{ column_type('varchar') }} as region_code,
        source_case_id::{{ column_type('varchar') }} as source_case_id,
        has_source_id::boolean as has_source_id,
        -- attributes
        item_name::{{ column_type('varchar') }} as item_name,
        department::{{ column_type('varchar') }} as department,
        channel::{{ column_type('varchar') }} as channel,
        status::{{ column_type('varchar') }} as status,
        applicant_key::{{ column_type('varchar') }} as applicant_key,
        -- times
        accepted_at::{{ column_type('timestamp') }} as accepted_at,
        accepted_at::date as accepted_date,
        date_trunc('month', accepted_at)::date as accepted_month,
        completed_at::{{ column_type('timestamp') }} as completed_at,
        promised_working_days::integer as promised_working_days,
        due_date::date as due_date,
        -- derived
        is_completed::boolean as is_completed,
        is_overdue::boolean as is_overdue,
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

with

source as (
    select * from {{ source('landing', 'service_cases') }}
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
        -- case
        source_case_id,
        item_name,
        department,
        accepted_at,
        completed_at,
        promised_working_days::integer as promised_working_days,
        status,
        channel,
        applicant_key
    from source
)

select * from final

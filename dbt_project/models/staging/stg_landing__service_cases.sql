with

source as (
    select * from {{ source('landing', 'service_cases') }}
),

final as (
    select
        -- lineage
        {{ landing_lineage_columns() }},
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

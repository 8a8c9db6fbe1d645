-- Every version of every service-hall case (办件): one row per case per source row.
with

cases as (
    select * from {{ ref('stg_landing__service_cases') }}
),

keyed as (
    select
        case
            when source_case_id is not null
                then md5(region_code || '|' || source_case_id)
            -- Without a source id the key is the row's position, stable while the file is.
            else md5(
                region_code || '|' || source_file || '|' || source_sheet || '|' || source_row
            )
        end as case_key,
        source_case_id is not null as has_source_id,
        *
    from cases
),

ranked as (
    select
        *,
        row_number() over (
            partition by case_key
            order by
                exported_at desc nulls last,
                file_modified_at desc nulls last,
                {{ byte_order('source_file') }} desc,
                {{ byte_order('source_sheet') }} desc,
                source_row desc
        ) as version_rank,
        count(*) over (partition by case_key) as version_count
    from keyed
),

final as (
    select * from ranked
)

select * from final

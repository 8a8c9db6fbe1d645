-- Every version of every 好差评 evaluation: one row per evaluation per source row.
with

evaluations as (
    select * from {{ ref('stg_landing__evaluations') }}
),

keyed as (
    select
        case
            when source_evaluation_id is not null
                then md5(region_code || '|' || source_evaluation_id)
            -- Without an id the key is the row's position: stable only while the file is
            -- unchanged, and the same evaluation in two files counts twice.
            else md5(
                region_code || '|' || source_file || '|' || source_sheet || '|' || source_row
            )
        end as evaluation_key,
        *
    from evaluations
),

ranked as (
    select
        *,
        row_number() over (
            partition by evaluation_key
            order by
                exported_at desc nulls last,
                file_modified_at desc nulls last,
                {{ byte_order('source_file') }} desc,
                {{ byte_order('source_sheet') }} desc,
                source_row desc
        ) as version_rank,
        count(*) over (partition by evaluation_key) as version_count
    from keyed
),

final as (
    select * from ranked
)

select * from final

-- Incremental by source file: only the keys of changed source files are rebuilt (see
-- macros/fact_increment_prepare.sql); `dbt build --full-refresh` rebuilds the whole table.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='evaluation_key',
        on_schema_change='fail',
        pre_hook="{{ fact_increment_prepare('int_evaluations_versioned') }}",
        post_hook="{{ fact_increment_record('int_evaluations_versioned') }}"
    )
}}

with

evaluations as (
    select * from {{ ref('int_evaluations_deduplicated') }}
    {{ fact_increment_filter('evaluation_key') }}
),

final as (
    select
        -- keys
        evaluation_key::varchar as evaluation_key,
        region_code::varchar as region_code,
        source_evaluation_id::varchar as source_evaluation_id,
        -- attributes
        evaluated_at::timestamp as evaluated_at,
        evaluated_at::date as evaluated_date,
        date_trunc('month', evaluated_at)::date as evaluated_month,
        channel::varchar as channel,
        item_name::varchar as item_name,
        department::varchar as department,
        admin_level::varchar as admin_level,
        rating::integer as rating,
        rating_label::varchar as rating_label,
        comment_masked::varchar as comment_masked,
        -- lineage
        exported_at::timestamp as exported_at,
        file_modified_at::timestamp as file_modified_at,
        source_file::varchar as source_file,
        source_sheet::varchar as source_sheet,
        source_row::integer as source_row
    from evaluations
)

select * from final

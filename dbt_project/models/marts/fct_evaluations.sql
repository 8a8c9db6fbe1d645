-- Incremental by source file: only the keys of changed source files are rebuilt (see
-- macros/fact_increment_prepare.sql); `dbt build --full-refresh` rebuilds the whole table.
{{
    config(
        materialized=fact_increment_materialized(),
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
        evaluation_key::{{ column_type('varchar') }} as evaluation_key,
        region_code::{{ column_type('varchar') }} as region_code,
        source_evaluation_id::{{ column_type('varchar') }} as source_evaluation_id,
        -- attributes
        evaluated_at::{{ column_type('timestamp') }} as evaluated_at,
        evaluated_at::date as evaluated_date,
        date_trunc('month', evaluated_at)::date as evaluated_month,
        channel::{{ column_type('varchar') }} as channel,
        item_name::{{ column_type('varchar') }} as item_name,
        department::{{ column_type('varchar') }} as department,
        admin_level::{{ column_type('varchar') }} as admin_level,
        rating::integer as rating,
        rating_label::{{ column_type('varchar') }} as rating_label,
        comment_masked::{{ column_type('varchar') }} as comment_masked,
        -- lineage
        exported_at::{{ column_type('timestamp') }} as exported_at,
        file_modified_at::{{ column_type('timestamp') }} as file_modified_at,
        source_file::{{ column_type('varchar') }} as source_file,
        source_sheet::{{ column_type('varchar') }} as source_sheet,
        source_row::integer as source_row
    from evaluations
)

select * from final

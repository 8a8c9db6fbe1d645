with

issues as (
    select * from {{ ref('stg_landing__cell_issues') }}
),

final as (
    select
        source_file::varchar as source_file,
        source_sheet::varchar as source_sheet,
        source_row::integer as source_row,
        column_name::varchar as column_name,
        target_column::varchar as target_column,
        raw_value::varchar as raw_value,
        problem::varchar as problem
    from issues
)

select * from final

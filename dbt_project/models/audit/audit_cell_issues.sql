with

issues as (
    select * from {{ ref('stg_landing__cell_issues') }}
),

final as (
    select
        source_file::{{ column_type('varchar') }} as source_file,
        source_sheet::{{ column_type('varchar') }} as source_sheet,
        source_row::integer as source_row,
        column_name::{{ column_type('varchar') }} as column_name,
        target_column::{{ column_type('varchar') }} as target_column,
        raw_value::{{ column_type('varchar') }} as raw_value,
        problem::{{ column_type('varchar') }} as problem
    from issues
)

select * from final

with

source as (
    select * from {{ source('landing', 'cell_issues') }}
),

final as (
    select
        source_file,
        source_sheet,
        source_row::integer as source_row,
        sha256 as file_sha256,
        column_name,
        target_column,
        value as raw_value,
        problem
    from source
)

select * from final

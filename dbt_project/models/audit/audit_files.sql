with

files as (
    select * from {{ ref('stg_landing__files') }}
),

final as (
    select
        file_path::{{ column_type('varchar') }} as file_path,
        sha256::{{ column_type('varchar') }} as sha256,
        size_bytes::bigint as size_bytes,
        region_code::{{ column_type('varchar') }} as region_code,
        dataset::{{ column_type('varchar') }} as dataset,
        status::{{ column_type('varchar') }} as status,
        row_count::bigint as rows,
        error::{{ column_type('varchar') }} as error,
        duplicate_of::{{ column_type('varchar') }} as duplicate_of,
        loaded_at::{{ column_type('timestamp') }} as loaded_at,
        file_modified_at::{{ column_type('timestamp') }} as file_modified_at,
        file_kind::{{ column_type('varchar') }} as file_kind,
        sheets::{{ column_type('varchar') }} as sheets,
        exported_at::{{ column_type('timestamp') }} as exported_at,
        warnings::{{ column_type('varchar') }} as warnings
    from files
)

select * from final

with

source as (
    select * from {{ source('landing', 'files') }}
),

final as (
    select
        file_path,
        sha256,
        size_bytes::bigint as size_bytes,
        region_code,
        dataset,
        status,
        rows::bigint as row_count,
        error,
        duplicate_of,
        loaded_at,
        file_modified_at,
        file_kind,
        sheets,
        exported_at,
        warnings
    from source
)

select * from final

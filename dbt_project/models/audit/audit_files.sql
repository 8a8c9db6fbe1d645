with

files as (
    select * from {{ ref('stg_landing__files') }}
),

final as (
    select
        file_path::varchar as file_path,
        sha256::varchar as sha256,
        size_bytes::bigint as size_bytes,
        region_code::varchar as region_code,
        dataset::varchar as dataset,
        status::varchar as status,
        row_count::bigint as rows,
        error::varchar as error,
        duplicate_of::varchar as duplicate_of,
        loaded_at::timestamp as loaded_at,
        file_modified_at::timestamp as file_modified_at,
        file_kind::varchar as file_kind,
        sheets::varchar as sheets,
        exported_at::timestamp as exported_at,
        warnings::varchar as warnings
    from files
)

select * from final

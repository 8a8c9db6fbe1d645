-- Every version of every 12345 order: one row per order per source row, newest export first.
with

orders as (
    select * from {{ ref('stg_landing__hotline_orders') }}
),

keyed as (
    select
        case
            when source_order_id is not null
                then md5(region_code || '|' || source_order_id)
            -- Without a source id an order cannot be matched across exports: its key is its
            -- position, stable only while that file is unchanged.
            else md5(
                region_code || '|' || source_file || '|' || source_sheet || '|' || source_row
            )
        end as order_key,
        source_order_id is not null as has_source_id,
        *
    from orders
),

ranked as (
    select
        *,
        row_number() over (
            partition by order_key
            order by
                exported_at desc nulls last,
                file_modified_at desc nulls last,
                {{ byte_order('source_file') }} desc,
                {{ byte_order('source_sheet') }} desc,
                source_row desc
        ) as version_rank,
        count(*) over (partition by order_key) as version_count
    from keyed
),

final as (
    select * from ranked
)

select * from final

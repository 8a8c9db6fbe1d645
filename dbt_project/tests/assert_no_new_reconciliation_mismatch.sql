-- A mismatch in audit_reconciliation that the ingester did not report is a warehouse bug.
-- Mismatches found in the source exports are data (reported in the audit), not failures.
{{ config(meta={'dagster': {'ref': {'name': 'audit_reconciliation'}}}) }}

with

audited as (
    select * from {{ ref('audit_reconciliation') }}
),

from_source as (
    select * from {{ ref('stg_landing__reconciliation') }}
),

unexplained as (
    select audited.*
    from audited
    where
        not audited.is_match
        and not exists (
            select 1 as found
            from from_source
            where
                from_source.source_file = audited.source_file
                and from_source.source_sheet = audited.source_sheet
                and from_source.source_row = audited.source_row
                and from_source.metric = audited.metric
                and (from_source.subject is not distinct from audited.subject)
                and not from_source.is_match
        )
),

final as (
    select * from unexplained
)

select * from final

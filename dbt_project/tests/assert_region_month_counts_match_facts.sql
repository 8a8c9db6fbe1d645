-- Parts sum to the total: every fact row with an event date is counted in exactly one region-month.
{{ config(meta={'dagster': {'ref': {'name': 'mart_region_month'}}}) }}

with

region_months as (
    select * from {{ ref('mart_region_month') }}
),

orders as (
    select * from {{ ref('fct_hotline_orders') }}
),

cases as (
    select * from {{ ref('fct_service_cases') }}
),

evaluations as (
    select * from {{ ref('fct_evaluations') }}
),

mart_totals as (
    select
        sum(orders_received) as orders,
        sum(cases_accepted) as cases,
        sum(evaluations_total) as evaluations
    from region_months
),

order_total as (
    select count(received_at) as orders from orders
),

case_total as (
    select count(accepted_at) as cases from cases
),

evaluation_total as (
    select count(evaluated_at) as evaluations from evaluations
),

fact_totals as (
    select
        order_total.orders,
        case_total.cases,
        evaluation_total.evaluations
    from order_total
    cross join case_total
    cross join evaluation_total
),

final as (
    select
        mart_totals.orders as mart_orders,
        fact_totals.orders as fact_orders,
        mart_totals.cases as mart_cases,
        fact_totals.cases as fact_cases,
        mart_totals.evaluations as mart_evaluations,
        fact_totals.evaluations as fact_evaluations
    from mart_totals
    cross join fact_totals
    where
        coalesce(mart_totals.orders, 0) != fact_totals.orders
        or coalesce(mart_totals.cases, 0) != fact_totals.cases
        or coalesce(mart_totals.evaluations, 0) != fact_totals.evaluations
)

select * from final

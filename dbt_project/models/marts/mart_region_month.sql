with

orders as (
    select * from {{ ref('fct_hotline_orders') }}
),

cases as (
    select * from {{ ref('fct_service_cases') }}
),

evaluations as (
    select * from {{ ref('fct_evaluations') }}
),

order_months as (
    select
        region_code,
        received_month as month,
        count(*) as orders_received,
        count(*) filter (where is_assigned) as orders_assigned,
        count(*) filter (where is_closed) as orders_closed,
        count(*) filter (where is_closed and is_assigned) as orders_closed_assigned,
        count(*) filter (where is_assigned and is_closed is not null) as orders_assigned_known,
        count(*) filter (where is_overdue) as orders_overdue,
        count(*) filter (where is_dispatched) as orders_dispatched,
        count(*) filter (where is_received_timely) as orders_received_timely
    from orders
    where received_month is not null
    group by region_code, received_month
),

case_months as (
    select
        region_code,
        accepted_month as month,
        count(*) as cases_accepted,
        count(*) filter (where is_completed) as cases_completed,
        count(*) filter (where is_overdue) as cases_overdue
    from cases
    where accepted_month is not null
    group by region_code, accepted_month
),

evaluation_months as (
    select
        region_code,
        evaluated_month as month,
        count(*) as evaluations_total,
        count(*) filter (where rating = 5) as evaluations_very_satisfied,
        count(*) filter (where rating = 4) as evaluations_satisfied,
        count(*) filter (where rating = 3) as evaluations_basic,
        count(*) filter (where rating = 2) as evaluations_dissatisfied,
        count(*) filter (where rating = 1) as evaluations_very_dissatisfied
    from evaluations
    where evaluated_month is not null
    group by region_code, evaluated_month
),

region_months as (
    select
        region_code,
        month
    from order_months
    union
    select
        region_code,
        month
    from case_months
    union
    select
        region_code,
        month
    from evaluation_months
),

joined as (
    select
        region_months.region_code,
        region_months.month,
        coalesce(o.orders_received, 0) as orders_received,
        coalesce(o.orders_assigned, 0) as orders_assigned,
        coalesce(o.orders_closed, 0) as orders_closed,
        coalesce(o.orders_closed_assigned, 0) as orders_closed_assigned,
        coalesce(o.orders_assigned_known, 0) as orders_assigned_known,
        coalesce(o.orders_overdue, 0) as orders_overdue,
        coalesce(o.orders_dispatched, 0) as orders_dispatched,
        coalesce(o.orders_received_timely, 0) as orders_received_timely,
        coalesce(c.cases_accepted, 0) as cases_accepted,
        coalesce(c.cases_completed, 0) as cases_completed,
        coalesce(c.cases_overdue, 0) as cases_overdue,
        coalesce(e.evaluations_total, 0) as evaluations_total,
        coalesce(e.evaluations_very_satisfied, 0) as evaluations_very_satisfied,
        coalesce(e.evaluations_satisfied, 0) as evaluations_satisfied,
        coalesce(e.evaluations_basic, 0) as evaluations_basic,
        coalesce(e.evaluations_dissatisfied, 0) as evaluations_dissatisfied,
        coalesce(e.evaluations_very_dissatisfied, 0) as evaluations_very_dissatisfied
    from region_months
    left join order_months as o
        on region_months.region_code = o.region_code and region_months.month = o.month
    left join case_months as c
        on region_months.region_code = c.region_code and region_months.month = c.month
    left join evaluation_months as e
        on region_months.region_code = e.region_code and region_months.month = e.month
),

final as (
    select
        region_code::{{ column_type('varchar') }} as region_code,
        month::date as month,
        orders_received::bigint as orders_received,
        orders_assigned::bigint as orders_assigned,
        orders_closed::bigint as orders_closed,
        orders_closed_assigned::bigint as orders_closed_assigned,
        orders_assigned_known::bigint as orders_assigned_known,
        orders_overdue::bigint as orders_overdue,
        {{ close_rate() }} as close_rate,
        orders_dispatched::bigint as orders_dispatched,
        orders_received_timely::bigint as orders_received_timely,
        {{ receipt_rate() }} as receipt_rate,
        cases_accepted::bigint as cases_accepted,
        cases_completed::bigint as cases_completed,
        cases_overdue::bigint as cases_overdue,
        evaluations_total::bigint as evaluations_total,
        evaluations_very_satisfied::bigint as evaluations_very_satisfied,
        evaluations_satisfied::bigint as evaluations_satisfied,
        evaluations_basic::bigint as evaluations_basic,
        evaluations_dissatisfied::bigint as evaluations_dissatisfied,
        evaluations_very_dissatisfied::bigint as evaluations_very_dissatisfied,
        {{ satisfaction_rate() }} as satisfaction_rate,
        {{ very_satisfied_rate() }} as very_satisfied_rate
    from joined
)

select * from final

with

orders as (
    select * from {{ ref('fct_hotline_orders') }}
),

unit_months as (
    select
        region_code,
        handling_unit,
        received_month as month,
        count(*) as orders_received,
        count(*) filter (where is_assigned) as orders_assigned,
        count(*) filter (where is_closed) as orders_closed,
        count(*) filter (where is_closed and is_assigned) as orders_closed_assigned,
        count(*) filter (where is_assigned and is_closed is not null) as orders_assigned_known,
        count(*) filter (where is_overdue) as orders_overdue,
        count(*) filter (where is_dispatched) as orders_dispatched,
        count(*) filter (where is_received_timely) as orders_received_timely,
        {{ median_of("handling_working_days") }} as median_handling_working_days,
        count(satisfaction_label) as orders_rated,
        count(*) filter (
            where satisfaction_label in ('非常满意', '满意', '基本满意')
        ) as orders_satisfied
    from orders
    -- Orders without a unit or a receipt time belong to no unit-month.
    where handling_unit is not null and received_month is not null
    group by region_code, handling_unit, received_month
),

final as (
    select
        region_code::{{ column_type('varchar') }} as region_code,
        handling_unit::{{ column_type('varchar') }} as handling_unit,
        month::date as month,
        orders_received::bigint as orders_received,
        orders_assigned::bigint as orders_assigned,
        orders_closed::bigint as orders_closed,
        orders_closed_assigned::bigint as orders_closed_assigned,
        {{ close_rate() }} as close_rate,
        orders_overdue::bigint as orders_overdue,
        orders_dispatched::bigint as orders_dispatched,
        orders_received_timely::bigint as orders_received_timely,
        {{ receipt_rate() }} as receipt_rate,
        median_handling_working_days::{{ column_type('double') }} as median_handling_working_days,
        orders_rated::bigint as orders_rated,
        {{ order_satisfaction_rate() }} as satisfaction_rate
    from unit_months
)

select * from final

with

calendar as (
    select * from {{ ref('cn_workday_calendar') }}
),

numbered as (
    select
        date_day::date as date_day,
        extract(year from date_day)::integer as year,
        extract(month from date_day)::integer as month,
        extract(quarter from date_day)::integer as quarter,
        isodow(date_day)::integer as day_of_week,
        is_working_day::boolean as is_working_day,
        nullif(holiday_name, '')::varchar as holiday_name,
        source::varchar as calendar_source,
        -- Running count of working days: working-day arithmetic becomes a subtraction.
        sum(case when is_working_day then 1 else 0 end) over (
            order by date_day rows between unbounded preceding and current row
        )::integer as working_day_number
    from calendar
),

final as (
    select * from numbered
)

select * from final

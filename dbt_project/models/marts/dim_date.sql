with

calendar as (
    select * from {{ ref('cn_workday_calendar') }}
),

data_days as (
    select
        min(received_at)::date as first_day,
        max(received_at)::date as last_day
    from {{ ref('stg_landing__hotline_orders') }}
    union all
    select
        min(accepted_at)::date as first_day,
        max(accepted_at)::date as last_day
    from {{ ref('stg_landing__service_cases') }}
    union all
    select
        min(evaluated_at)::date as first_day,
        max(evaluated_at)::date as last_day
    from {{ ref('stg_landing__evaluations') }}
),

span as (
    -- January 1 of the earliest year in the data (2015 at the latest, never before 1990) to
    -- December 31 of the latest year in the data (2030 at the earliest, never past 2100).
    select
        make_date(
            greatest(
                1990, least(2015, coalesce(min(extract(year from first_day)), 2015))
            )::integer,
            1,
            1
        ) as first_day,
        make_date(
            least(
                2100, greatest(2030, coalesce(max(extract(year from last_day)), 2030))
            )::integer,
            12,
            31
        ) as last_day
    from data_days
),

days as (
    select {{ day_series('first_day', 'last_day') }} as date_day
    from span
),

numbered as (
    select
        days.date_day,
        extract(year from days.date_day)::integer as year,
        extract(month from days.date_day)::integer as month,
        extract(quarter from days.date_day)::integer as quarter,
        {{ iso_day_of_week('days.date_day') }}::integer as day_of_week,
        -- Outside the official calendar's range: Monday to Friday, and the source says so.
        coalesce(
            calendar.is_working_day::boolean, {{ iso_day_of_week('days.date_day') }} <= 5
        ) as is_working_day,
        nullif(calendar.holiday_name, '')::{{ column_type('varchar') }} as holiday_name,
        coalesce(
            calendar.source::{{ column_type('varchar') }}, 'weekend-fallback'
        ) as calendar_source
    from days
    left join calendar on calendar.date_day::date = days.date_day
),

final as (
    select
        *,
        -- Running count of working days: working-day arithmetic becomes a subtraction.
        sum(case when is_working_day then 1 else 0 end) over (
            order by date_day rows between unbounded preceding and current row
        )::integer as working_day_number
    from numbered
)

select * from final

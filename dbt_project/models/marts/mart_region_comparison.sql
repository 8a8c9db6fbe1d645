with

region_months as (
    select * from {{ ref('mart_region_month') }}
),

region_years as (
    select * from {{ ref('mart_region_yoy') }}
),

regions as (
    select * from {{ ref('dim_region') }}
),

monthly as (
    {%- for measure in region_month_counts() + region_month_rates() %}
        select
            'month' as grain,
            month as period_start,
            region_code,
            '{{ measure }}' as metric,
            {{ measure }}::{{ column_type('double') }} as value
        from region_months
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

yearly as (
    select
        'year' as grain,
        make_date(year, 1, 1) as period_start,
        region_code,
        metric,
        value
    from region_years
),

measured as (
    select * from monthly
    union all
    select * from yearly
),

leveled as (
    select
        measured.*,
        regions.level
    from measured
    inner join regions on measured.region_code = regions.region_code
    -- A rate with no denominator has nothing to rank.
    where measured.value is not null
),

ranked as (
    select
        *,
        rank() over (
            partition by grain, period_start, level, metric order by value desc
        ) as rank,
        percent_rank() over (
            partition by grain, period_start, level, metric order by value asc
        ) as percentile
    from leveled
),

final as (
    select
        grain::{{ column_type('varchar') }} as grain,
        period_start::date as period_start,
        level::{{ column_type('varchar') }} as level,
        metric::{{ column_type('varchar') }} as metric,
        region_code::{{ column_type('varchar') }} as region_code,
        value::{{ column_type('double') }} as value,
        rank::bigint as rank,
        percentile::{{ column_type('double') }} as percentile
    from ranked
)

select * from final

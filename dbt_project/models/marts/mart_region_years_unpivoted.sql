-- Region × year × metric: the year's counts summed from the months, rates recomputed. Ephemeral:
-- a step of mart_region_yoy (inlined there as a CTE), derived from the mart mart_region_month.
with

region_months as (
    select * from {{ ref('mart_region_month') }}
),

region_years as (
    select
        {%- for measure in region_month_counts() + region_month_rate_inputs() %}
            sum({{ measure }}) as {{ measure }},
        {%- endfor %}
        region_code,
        extract(year from month)::integer as year
    from region_months
    group by region_code, extract(year from month)
),

with_rates as (
    select
        *,
        {{ close_rate() }} as close_rate,
        {{ receipt_rate() }} as receipt_rate,
        {{ satisfaction_rate() }} as satisfaction_rate,
        {{ very_satisfied_rate() }} as very_satisfied_rate
    from region_years
),

final as (
    {%- for measure in region_month_counts() + region_month_rates() %}
        select
            region_code,
            year,
            '{{ measure }}' as metric,
            {{ measure }}::{{ column_type('double') }} as value
        from with_rates
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from final

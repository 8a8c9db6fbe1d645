with

region_years as (
    select * from {{ ref('mart_region_years_unpivoted') }}
),

with_prior as (
    select
        this_year.region_code,
        this_year.year,
        this_year.metric,
        this_year.value,
        prior_year.value as prior_year_value
    from region_years as this_year
    left join region_years as prior_year
        on
            this_year.region_code = prior_year.region_code
            and this_year.metric = prior_year.metric
            and this_year.year = prior_year.year + 1
),

final as (
    select
        region_code::{{ column_type('varchar') }} as region_code,
        year::integer as year,
        metric::{{ column_type('varchar') }} as metric,
        value::{{ column_type('double') }} as value,
        prior_year_value::{{ column_type('double') }} as prior_year_value,
        {{ yoy_change('value', 'prior_year_value') }} as yoy_change
    from with_prior
)

select * from final

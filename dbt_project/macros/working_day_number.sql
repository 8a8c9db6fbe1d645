{#- The working_day_number of a date (null outside dim_date). dim_date numbers working days
    consecutively (working_day_number: how many working days up to and including the day).
    The lookup is one uncorrelated subquery building a date -> number map, computed once per
    query: a correlated lookup per row made DuckDB join dim_date against every case and ran out
    of memory at full volume. -#}
{% macro working_day_number(day) -%}
    (
        select map_from_entries(list((wd_num.date_day, wd_num.working_day_number)))
        from {{ ref('dim_date') }} as wd_num
    )[{{ day }}]
{%- endmacro %}

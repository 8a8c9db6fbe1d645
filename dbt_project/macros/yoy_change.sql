{#- 同比 (year-over-year change, CONTRACT.md §4 mart_region_yoy): (value − prior) / prior, null
    when the prior value is null or 0. -#}
{% macro yoy_change(value, prior_value) -%}
    {{ safe_rate(value ~ ' - ' ~ prior_value, prior_value) }}
{%- endmacro %}

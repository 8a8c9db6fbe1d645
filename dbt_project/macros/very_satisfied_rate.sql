{#- 非常满意率 (CONTRACT.md §5), over the count columns of mart_region_month (or the same names
    summed to a coarser grain): 非常满意 / all evaluations. -#}
{% macro very_satisfied_rate() -%}
    {{ safe_rate('evaluations_very_satisfied', 'evaluations_total') }}
{%- endmacro %}

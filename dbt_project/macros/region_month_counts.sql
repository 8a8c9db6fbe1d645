{#- The additive measures of mart_region_month: summed to any coarser grain. -#}
{% macro region_month_counts() -%}
    {{ return([
        'orders_received', 'orders_assigned', 'orders_closed', 'orders_closed_assigned',
        'orders_overdue', 'orders_dispatched', 'orders_received_timely',
        'cases_accepted', 'cases_completed', 'cases_overdue',
        'evaluations_total', 'evaluations_very_satisfied', 'evaluations_satisfied',
        'evaluations_basic', 'evaluations_dissatisfied', 'evaluations_very_dissatisfied',
    ]) }}
{%- endmacro %}

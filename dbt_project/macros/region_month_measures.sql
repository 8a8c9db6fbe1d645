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

{#- Counts of mart_region_month that only feed a rate (summed with the counts, not reported as
    metrics of their own): the assigned orders whose closed state is known. -#}
{% macro region_month_rate_inputs() -%}
    {{ return(['orders_assigned_known']) }}
{%- endmacro %}

{#- The rates of mart_region_month: recomputed from the counts at each grain, never summed. -#}
{% macro region_month_rates() -%}
    {{ return(['close_rate', 'receipt_rate', 'satisfaction_rate', 'very_satisfied_rate']) }}
{%- endmacro %}

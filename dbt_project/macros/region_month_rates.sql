{#- The rates of mart_region_month: recomputed from the counts at each grain, never summed
    (each is a macro of its own: close_rate, receipt_rate, satisfaction_rate,
    very_satisfied_rate). -#}
{% macro region_month_rates() -%}
    {{ return(['close_rate', 'receipt_rate', 'satisfaction_rate', 'very_satisfied_rate']) }}
{%- endmacro %}

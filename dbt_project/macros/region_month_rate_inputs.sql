{#- Counts of mart_region_month that only feed a rate (summed with the counts, not reported as
    metrics of their own): the assigned orders whose closed state is known. -#}
{% macro region_month_rate_inputs() -%}
    {{ return(['orders_assigned_known']) }}
{%- endmacro %}

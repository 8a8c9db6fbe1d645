{#- The four rates of CONTRACT.md §5, each written once, over the count columns of
    mart_region_month (or the same names summed to a coarser grain). Rates leave out rows whose
    outcome is unknown: close_rate divides by the assigned orders whose closed state is known. -#}

{% macro close_rate() -%}
    {{ safe_rate('orders_closed_assigned', 'orders_assigned_known') }}
{%- endmacro %}

{% macro receipt_rate() -%}
    {{ safe_rate('orders_received_timely', 'orders_dispatched') }}
{%- endmacro %}

{% macro satisfaction_rate() -%}
    {{ safe_rate(
        'evaluations_very_satisfied + evaluations_satisfied + evaluations_basic',
        'evaluations_total'
    ) }}
{%- endmacro %}

{% macro very_satisfied_rate() -%}
    {{ safe_rate('evaluations_very_satisfied', 'evaluations_total') }}
{%- endmacro %}

{#- 办结率 (CONTRACT.md §5), over the count columns of mart_region_month (or the same names summed
    to a coarser grain): closed assigned orders / assigned orders whose closed state is known.
    Orders whose closed state is unknown are left out, never counted as open. -#}
{% macro close_rate() -%}
    {{ safe_rate('orders_closed_assigned', 'orders_assigned_known') }}
{%- endmacro %}

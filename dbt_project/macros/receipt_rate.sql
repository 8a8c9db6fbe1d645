{#- 及时签收率 (CONTRACT.md §5), over the count columns of mart_region_month (or the same names
    summed to a coarser grain): orders signed for on time / dispatched orders. -#}
{% macro receipt_rate() -%}
    {{ safe_rate('orders_received_timely', 'orders_dispatched') }}
{%- endmacro %}

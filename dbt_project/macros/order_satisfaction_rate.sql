{#- 满意率 of hotline orders (mart_unit_scorecard), from their 回访满意度 (satisfaction_label):
    orders rated 非常满意, 满意 or 基本满意 (orders_satisfied) / orders with a rating
    (orders_rated). Not the evaluations' satisfaction_rate of CONTRACT.md §5. -#}
{% macro order_satisfaction_rate() -%}
    {{ safe_rate('orders_satisfied', 'orders_rated') }}
{%- endmacro %}

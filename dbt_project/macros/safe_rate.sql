{#- A rate: numerator / denominator, null when the denominator is 0 or null. -#}
{% macro safe_rate(numerator, denominator) -%}
    ({{ numerator }})::{{ column_type('double') }} / nullif({{ denominator }}, 0)
{%- endmacro %}

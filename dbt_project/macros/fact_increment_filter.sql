{#-
    The model's input filter on `key` (its unique_key): on incremental runs, only the keys the
    pre-hook chose. (Unit tests render models without `this`: never incremental there.)
-#}
{% macro fact_increment_filter(key) -%}
    {%- if this is not none and is_incremental() -%}
    where {{ key }} in (
        select increment_keys.key_value
        from {{ fact_increment_relation('keys') }} as increment_keys
    )
    {%- endif -%}
{%- endmacro %}

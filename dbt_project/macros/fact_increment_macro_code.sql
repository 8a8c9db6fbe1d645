{#- Appends the code of the macros `macro_ids` and of the macros they call to `parts`. -#}
{% macro fact_increment_macro_code(macro_ids, parts, seen) -%}
    {%- for macro_id in macro_ids if macro_id not in seen -%}
        {%- do seen.append(macro_id) -%}
        {%- set generator = context.get(macro_id.split('.')[-1]) -%}
        {%- if generator is not none and generator.macro is defined -%}
            {%- do parts.append(macro_id ~ ':' ~ generator.macro.macro_sql) -%}
            {%- do fact_increment_macro_code(generator.macro.depends_on.macros, parts, seen) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

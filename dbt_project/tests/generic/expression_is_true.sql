{#- Fails for each row where `expression` is false (null counts as a pass). -#}
{% test expression_is_true(model, expression) %}

with

checked as (
    select *
    from {{ model }}
    where not ({{ expression }})
),

final as (
    select * from checked
)

select * from final

{% endtest %}

{#- Fails for each combination of `columns` that occurs more than once (a model's grain). -#}
{% test unique_combination(model, columns) %}

with

grain as (
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
),

final as (
    select * from grain
    where occurrences > 1
)

select * from final

{% endtest %}

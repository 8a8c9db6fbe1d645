-- Each 好差评 rating carries its own label: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.
with

evaluations as (
    select * from {{ ref('fct_evaluations') }}
),

mislabelled as (
    select
        evaluation_key,
        rating,
        rating_label
    from evaluations
    where (
        rating_label is distinct from case rating
            when 5 then '非常满意'
            when 4 then '满意'
            when 3 then '基本满意'
            when 2 then '不满意'
            when 1 then '非常不满意'
        end
    )
),

final as (
    select * from mislabelled
)

select * from final

{#- SQL query: (source_file, file_token) of every landing.files entry, as of now. -#}
{% macro fact_increment_current_files() -%}
    select
        landing_files.file_path as source_file,
        concat_ws(
            '|',
            landing_files.sha256,
            landing_files.status,
            landing_files.loaded_at::varchar,
            fingerprint.value
        ) as file_token
    from {{ fact_increment_node_relation('source.govdw.landing.files') }} as landing_files
    cross join (select {{ fact_increment_fingerprint() }} as value) as fingerprint
{%- endmacro %}

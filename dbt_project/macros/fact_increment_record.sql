{#-
    Post-hook: the state rows of the changed files are replaced, and so are the versions of the
    rebuilt keys that lie in another file than the one the key's fact row comes from. Then the
    work tables go.
-#}
{% macro fact_increment_record(versions_model) -%}
    {%- if not execute or config.get('materialized') != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set key = config.get('unique_key') -%}
    {%- set versions = fact_increment_node_relation('model.govdw.' ~ versions_model) -%}
    {%- set state = fact_increment_relation('state') -%}
    {%- set changed = fact_increment_relation('changed') -%}
    {%- set keys = fact_increment_relation('keys') -%}
    delete from {{ state }}
    where
        (
            key_value is null
            and source_file in (select changed.source_file from {{ changed }} as changed)
        )
        or key_value in (select keys.key_value from {{ keys }} as keys);
    insert into {{ state }} (source_file, file_token, key_value)
    select current_files.source_file, current_files.file_token, null
    from ({{ fact_increment_current_files() }}) as current_files
    semi join {{ changed }} as changed on current_files.source_file = changed.source_file;
    insert into {{ state }} (source_file, file_token, key_value)
    select distinct versions.source_file, null, versions.{{ key }}
    from {{ versions }} as versions
    inner join {{ this }} as fact on versions.{{ key }} = fact.{{ key }}
    semi join {{ keys }} as keys on versions.{{ key }} = keys.key_value
    where versions.source_file != fact.source_file;
    drop table if exists {{ changed }};
    drop table if exists {{ keys }};
{%- endmacro %}

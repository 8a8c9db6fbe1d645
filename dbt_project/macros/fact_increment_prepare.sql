{#-
    Incremental facts, rebuilt per source file, always equal to a full rebuild. The
    macros fact_increment_*.sql (one per file) implement it; this is their overview.

    A fact keyed by `unique_key` holds, per key, the latest of its versions in a versions model
    (int_*_versioned: one row per key per source row), published with the version's
    source_file. Its state, `intermediate.<fact>__increment_state`, records what the last build
    used: one row per landing.files entry with the file's token (sha256 | status | loaded_at |
    logic fingerprint), and one row per (file, key) for each version of a key that lies in
    another file than the one its fact row comes from. The loader replaces a file's landing rows
    and its landing.files row (new loaded_at) in one transaction, and removes both when the file
    leaves raw/, so version rows can only have changed in files whose token changed, appeared or
    vanished.

    An incremental run (all inside the model's transaction):
      pre-hook  `fact_increment_prepare`: changed files = symmetric difference of the current and
                the recorded (file, token) pairs, plus files with rows but no landing.files entry.
                Keys to rebuild = keys with a version in a changed file now, keys whose fact row
                comes from a changed file, keys with a recorded version in a changed file. Any key
                whose versions were added, changed or removed is among them (a removed version was
                either the published one or is recorded); they are deleted from the fact.
      model     `fact_increment_filter` restricts the fact's input to those keys and recomputes
                them from all their versions (latest export wins, version_count recounted); keys
                without versions left stay deleted. Every other key has exactly the versions it
                had, so its row cannot differ from a full rebuild.
      post-hook `fact_increment_record`: the file rows of the changed files and the version rows
                of the rebuilt keys are replaced.
    The fingerprint hashes the fact's compiled SQL (macros and vars included, increment filter
    left out), the SQL file of every upstream view with the macros and vars it uses, and the
    contents of every upstream table (dim_date), so a change to any of them changes every token
    and rebuilds every key. Without a state (first incremental run after the fact was built some
    other way) the fact is emptied and rebuilt. A full build (`dbt build --full-refresh`,
    `govdw run --full-refresh`, or a missing table) rewrites the fact and its state from scratch.
    The work tables `<fact>__increment_changed` / `__increment_keys` live only inside the
    model's transaction.

    DuckDB only. On PostgreSQL and Spark the facts are materialized as plain tables and rebuilt
    in full on every build (fact_increment_materialized): the bookkeeping above is DuckDB SQL
    (`semi join`, `anti join`, `create or replace table`, multi-statement hooks). There the
    hooks render nothing (they return early unless the model is incremental) and the filter is
    empty (is_incremental() is never true for a table).
-#}

{#-
    Pre-hook. The changed files, and the keys to rebuild; on incremental runs those keys are
    deleted from the fact. Full builds empty the state, so every file and key counts as changed.
-#}
{% macro fact_increment_prepare(versions_model) -%}
    {%- if not execute or config.get('materialized') != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set key = config.get('unique_key') -%}
    {%- set versions = fact_increment_node_relation('model.govdw.' ~ versions_model) -%}
    {%- set state = fact_increment_relation('state') -%}
    {%- set changed = fact_increment_relation('changed') -%}
    {%- set keys = fact_increment_relation('keys') -%}
    {%- if is_incremental() and fact_increment_filter(key) not in compiled_code -%}
        {{ exceptions.raise_compiler_error(
            this.identifier ~ ': an incremental fact must filter its input with {{ '
            ~ "fact_increment_filter('" ~ key ~ "') }}"
        ) }}
    {%- endif -%}
    {%- if is_incremental() %}
        create table if not exists {{ state }} (
            source_file varchar, file_token varchar, key_value varchar
        );
        -- No record of what the fact was built from: rebuild every key.
        delete from {{ this }} where not exists (select 1 from {{ state }});
    {%- else %}
        create or replace table {{ state }} (
            source_file varchar, file_token varchar, key_value varchar
        );
    {%- endif %}
    create or replace table {{ changed }} as
    with
    current_files as (
        {{ fact_increment_current_files() }}
    ),
    built_files as (
        select state.source_file, state.file_token
        from {{ state }} as state
        where state.key_value is null
    ),
    differing as (
        (select * from current_files except select * from built_files)
        union all
        (select * from built_files except select * from current_files)
    ),
    unlisted as (
        -- rows without a landing.files entry: never trusted, always rebuilt
        select distinct versions.source_file
        from {{ versions }} as versions
        anti join current_files on versions.source_file = current_files.source_file
    )
    select differing.source_file from differing
    union
    select unlisted.source_file from unlisted;
    create or replace table {{ keys }} as
    -- keys with a version in a changed file now ...
    select versions.{{ key }} as key_value
    from {{ versions }} as versions
    semi join {{ changed }} as changed on versions.source_file = changed.source_file
    {%- if is_incremental() %}
    union
    -- ... or at the last build: published from it, or another of their versions was there
    select fact.{{ key }}
    from {{ this }} as fact
    semi join {{ changed }} as changed on fact.source_file = changed.source_file
    union
    select state.key_value
    from {{ state }} as state
    semi join {{ changed }} as changed on state.source_file = changed.source_file
    where state.key_value is not null;
    delete from {{ this }}
    where {{ key }} in (select keys.key_value from {{ keys }} as keys)
    {%- endif %};
{%- endmacro %}

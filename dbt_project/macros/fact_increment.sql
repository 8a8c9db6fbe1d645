{#-
    Incremental facts, rebuilt per source file, always equal to a full rebuild.

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
-#}

{#- A relation of the fact's increment bookkeeping, next to the versions model it indexes. -#}
{% macro fact_increment_relation(suffix) -%}
    {%- if api is not defined -%}
        {#- sqlfluff's templater has no `api`: a stand-in name, for linting only -#}
        {{ this }}__increment_{{ suffix }}
    {%- else -%}
        {%- set schema = generate_schema_name('intermediate', model) | trim -%}
        {{ return(api.Relation.create(
            database=this.database,
            schema=schema,
            identifier=this.identifier ~ '__increment_' ~ suffix,
            type='table',
        )) }}
    {%- endif -%}
{%- endmacro %}

{#- The relation of a project model or source by unique id, read from the graph. -#}
{% macro fact_increment_node_relation(unique_id) -%}
    {%- set node = graph.nodes.get(unique_id) or graph.sources.get(unique_id) -%}
    {%- if node is none -%}
        {{ exceptions.raise_compiler_error('fact_increment: no node ' ~ unique_id) }}
    {%- endif -%}
    {{ return(api.Relation.create(
        database=node.database,
        schema=node.schema,
        identifier=node.identifier if node.resource_type == 'source' else node.alias,
    )) }}
{%- endmacro %}

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

{#- Upstream nodes of `node_ids`: views (walked through) and tables (where the walk stops). -#}
{% macro fact_increment_upstream(node_ids, views, tables, seen) -%}
    {%- for unique_id in node_ids -%}
        {%- set node = graph.nodes.get(unique_id) -%}
        {%- if unique_id not in seen and node is not none -%}
            {%- do seen.append(unique_id) -%}
            {%- if node.resource_type == 'model' and node.config.materialized == 'view' -%}
                {%- do views.append(node) -%}
                {%- do fact_increment_upstream(node.depends_on.nodes, views, tables, seen) -%}
            {%- elif node.resource_type == 'model' and node.config.materialized == 'ephemeral' -%}
                {%- do fact_increment_upstream(node.depends_on.nodes, views, tables, seen) -%}
            {%- elif node.resource_type in ('model', 'seed', 'snapshot') -%}
                {%- do tables.append(node) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

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

{#-
    SQL scalar: the logic fingerprint. The fact's compiled SQL without the increment filter and
    the database name (its macros and vars included), each upstream view's SQL file with the
    macros and vars it uses, and the contents of each upstream table (dim_date, hence the
    holiday calendar). Built from dbt's files, not DuckDB's catalog: DuckDB re-prints view SQL
    with `exclude` lists in no fixed order.
-#}
{% macro fact_increment_fingerprint() -%}
    {%- set code = compiled_code or model.compiled_code or model.raw_code -%}
    {%- set increment_filter = fact_increment_filter(config.get('unique_key')) -%}
    {%- if increment_filter -%}
        {%- set code = code | replace(increment_filter, '') -%}
    {%- endif -%}
    {#- The build database's name (its file name) is no part of the logic. -#}
    {%- set code = code | replace('"' ~ this.database ~ '".', '') -%}
    {%- set parts = [code] -%}
    {%- set views, tables = [], [] -%}
    {%- do fact_increment_upstream(model.depends_on.nodes, views, tables, []) -%}
    {%- set macros_seen = [] -%}
    {%- for node in views -%}
        {%- do parts.append(node.unique_id ~ ':' ~ node.raw_code) -%}
        {%- do fact_increment_macro_code(node.depends_on.macros, parts, macros_seen) -%}
        {%- for name in modules.re.findall('var\\(\\s*[\'"]([^\'"]+)[\'"]', node.raw_code) -%}
            {%- do parts.append('var ' ~ name ~ '=' ~ tojson(var(name, none))) -%}
        {%- endfor -%}
    {%- endfor -%}
    md5(concat_ws(
        '|',
        '{{ local_md5(parts | join("\n")) }}'
        {%- for node in tables %},
        (
            select md5(coalesce(string_agg(t::varchar, '|' order by t::varchar), ''))
            from {{ fact_increment_node_relation(node.unique_id) }} as t
        )
        {%- endfor %}
    ))
{%- endmacro %}

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

{#-
    Pre-hook. The changed files, and the keys to rebuild; on incremental runs those keys are
    deleted from the fact. Full builds empty the state, so every file and key counts as changed.
-#}
{% macro fact_increment_prepare(versions_model) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
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

{#-
    Post-hook: the state rows of the changed files are replaced, and so are the versions of the
    rebuilt keys that lie in another file than the one the key's fact row comes from. Then the
    work tables go.
-#}
{% macro fact_increment_record(versions_model) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
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

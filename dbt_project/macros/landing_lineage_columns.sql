{#- The lineage columns every landing detail table carries (govdw.landing.LINEAGE), renamed and
    cast once for all staging models: where a row came from and when it was exported. -#}
{% macro landing_lineage_columns() -%}
    source_file,
    source_sheet,
    source_row::integer as source_row,
    sha256 as file_sha256,
    region_code,
    exported_at,
    file_modified_at
{%- endmacro %}

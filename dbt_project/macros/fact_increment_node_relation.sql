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

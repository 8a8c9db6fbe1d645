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

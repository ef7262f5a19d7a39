{#-
    (node, relation) of each Python model built successfully in a run, for
    the on-run-end hooks that finish what the adapters leave undone.
    macros/_macros.yml.
-#}
{% macro built_python_models(results) -%}
    {%- set built = [] -%}
    {%- if execute -%}
        {%- for result in results -%}
            {%- set node = result.node -%}
            {%- if node.resource_type == 'model' and node.language == 'python'
                  and result.status == 'success' -%}
                {%- do built.append((node, api.Relation.create(
                    database=node.database, schema=node.schema, identifier=node.alias
                ))) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(built) }}
{%- endmacro %}

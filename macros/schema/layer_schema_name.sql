{#-
    The schema of a layer's models: prefix, layer, build suffix (e.g.
    marts__shadow in a published build). Why: macros/_macros.yml.
-#}
{% macro layer_schema_name(layer) -%}
    {{ return(schema_prefix() ~ layer ~ build_schema_suffix()) }}
{%- endmacro %}

{#-
    dbt's grants on PostgreSQL, leaving out (with a message) a grantee role
    that does not exist instead of failing the model. Otherwise dbt's own
    default__apply_grants. Why: macros/_macros.yml.
-#}
{% macro postgres__apply_grants(relation, grant_config, should_revoke=True) %}
    {%- if grant_config -%}
        {%- set wanted = [] -%}
        {%- for grantees in grant_config.values() -%}
            {%- for grantee in grantees -%}
                {%- if grantee not in wanted -%}{%- do wanted.append(grantee) -%}{%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- set existing = [] -%}
        {%- if wanted -%}
            {%- set found = run_query(
                "select rolname from pg_catalog.pg_roles where rolname in ('"
                ~ wanted | join("', '") ~ "')"
            ) -%}
            {%- for row in found.rows -%}{%- do existing.append(row[0]) -%}{%- endfor -%}
        {%- endif -%}
        {%- set missing = wanted | reject('in', existing) | list -%}
        {%- if missing -%}
            {{ log('grants on ' ~ relation.render() ~ ': role ' ~ missing | join(', ')
                   ~ ' does not exist, not granted (scripts/postgres_start.sh or the DBA'
                   ~ ' creates it; docs/bi.md)', info=true) }}
        {%- endif -%}
        {%- set kept = {} -%}
        {%- for privilege, grantees in grant_config.items() -%}
            {#- an emptied list still lets dbt revoke grants the config dropped -#}
            {%- do kept.update({privilege: grantees | select('in', existing) | list}) -%}
        {%- endfor -%}
        {%- do default__apply_grants(relation, kept, should_revoke) -%}
    {%- endif -%}
{% endmacro %}

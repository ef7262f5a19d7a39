{#-
    Lets the BI role (var bi_role, default bi_reader) into the schemas BI
    tools read (var bi_schemas: marts and ml, with the schema prefix), run
    from on-run-end. dbt's grants config (+grants under marts: in
    dbt_project.yml) gives the role SELECT on each mart as it is built,
    inside the build's own transaction, so a dashboard never meets a rebuilt
    mart without its grant; but a schema needs USAGE too, which no model
    config grants. This macro grants USAGE on each schema, and SELECT on all
    its tables and views: for the marts that repeats what the grants config
    did, for ml it is the grant (the ml models carry no grants config, and
    dbt-pybridge 0.2.3 does not commit what it runs after a Python model, so
    a grants config there would be lost).

    PostgreSQL only (and dbt-pybridge, which dispatches to postgres__): DuckDB
    has no roles, so the default is a no-op. When the role does not exist the
    hook logs that and does nothing; an empty bi_role turns it off.
    Returns the statements; dbt runs them as the hook's SQL.
-#}
{% macro grant_bi_schema_usage() -%}
    {{ return(adapter.dispatch('grant_bi_schema_usage', 'retail_warehouse')()) }}
{%- endmacro %}

{% macro default__grant_bi_schema_usage() -%}
    {{ return('') }}
{%- endmacro %}

{% macro postgres__grant_bi_schema_usage() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set role = var('bi_role', 'bi_reader') -%}
    {%- if not role -%}
        {{ log('bi grants: var bi_role is empty; no schema grants', info=true) }}
        {{ return('') }}
    {%- endif -%}
    {%- set found = run_query(
        "select 1 from pg_catalog.pg_roles where rolname = '" ~ role ~ "'"
    ) -%}
    {%- if found.rows | length == 0 -%}
        {{ log('bi grants: role ' ~ role ~ ' does not exist; skipping schema grants'
               ~ ' (scripts/postgres_start.sh creates it; on a shared server the DBA does)',
               info=true) }}
        {{ return('') }}
    {%- endif -%}
    {%- set statements = [] -%}
    {%- for layer in var('bi_schemas', []) -%}
        {%- set schema_name = schema_prefix() ~ layer -%}
        {%- set exists = run_query(
            "select 1 from pg_catalog.pg_namespace where nspname = '" ~ schema_name ~ "'"
        ) -%}
        {%- if exists.rows | length > 0 -%}
            {%- do statements.append(
                'grant usage on schema ' ~ adapter.quote(schema_name) ~ ' to ' ~ adapter.quote(role)
            ) -%}
            {%- do statements.append(
                'grant select on all tables in schema ' ~ adapter.quote(schema_name)
                ~ ' to ' ~ adapter.quote(role)
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ log('bi grants: ' ~ (statements | join('; ') or 'no BI schema exists yet'), info=true) }}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

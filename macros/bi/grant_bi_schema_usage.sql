{#-
    on-run-end: USAGE on the BI schemas (vars bi_schemas and
    bi_usage_schemas, named by layer_schema_name) and SELECT on the tables of
    bi_schemas for the BI role (var bi_role), on PostgreSQL when the role
    exists. No-op on DuckDB. Why: macros/_macros.yml.
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
    {#- TEMP on a database is granted to PUBLIC by default, so revoking it
        from the role alone changes nothing: revoke it from PUBLIC (the
        database owner and superusers keep it; dbt's incremental models need
        it) and from the role, in case a DBA granted it. A dbt user that does
        not own the database gets a warning and the DBA must do it (docs/bi.md). -#}
    {%- set database = adapter.quote(target.dbname) -%}
    {%- set statements = [
        'revoke temporary on database ' ~ database ~ ' from public',
        'revoke temporary on database ' ~ database ~ ' from ' ~ adapter.quote(role),
    ] -%}
    {%- set select_all = var('bi_schemas', []) -%}
    {%- for layer in select_all + var('bi_usage_schemas', []) -%}
        {%- set schema_name = layer_schema_name(layer) -%}
        {%- set exists = run_query(
            "select 1 from pg_catalog.pg_namespace where nspname = '" ~ schema_name ~ "'"
        ) -%}
        {%- if exists.rows | length > 0 -%}
            {%- do statements.append(
                'grant usage on schema ' ~ adapter.quote(schema_name) ~ ' to ' ~ adapter.quote(role)
            ) -%}
            {%- if layer in select_all -%}
                {%- do statements.append(
                    'grant select on all tables in schema ' ~ adapter.quote(schema_name)
                    ~ ' to ' ~ adapter.quote(role)
                ) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ log('bi grants: ' ~ (statements | join('; ') or 'no BI schema exists yet'), info=true) }}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

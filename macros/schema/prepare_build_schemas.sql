{#-
    on-run-start of a published build on PostgreSQL: empty the shadow
    schemas, copy in the published incremental tables and the tables of the
    models this run leaves out (the training lane's, in a refresh). No-op
    otherwise, and for the second dbt run of a build that trains after its
    refresh (RW_SHADOW_PREPARED: the shadow holds the first run's tables).
    Why: macros/_macros.yml.
-#}
{% macro prepare_build_schemas() -%}
    {{ return(adapter.dispatch('prepare_build_schemas', 'retail_warehouse')()) }}
{%- endmacro %}

{% macro default__prepare_build_schemas() -%}
    {{ return('') }}
{%- endmacro %}

{% macro postgres__prepare_build_schemas() -%}
    {%- set suffix = build_schema_suffix() -%}
    {%- if not execute or not suffix or flags.WHICH not in ('build', 'run')
        or env_var('RW_SHADOW_PREPARED', '') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set schemas = [] -%}
    {%- set carried_over = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- if node.schema.endswith(suffix) and node.schema not in schemas -%}
            {%- do schemas.append(node.schema) -%}
        {%- endif -%}
        {%- if node.config.materialized == 'incremental'
            or (node.config.materialized == 'table'
                and node.unique_id not in selected_resources) -%}
            {%- do carried_over.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for schema in schemas -%}
        {%- set relation = api.Relation.create(database=target.database, schema=schema) -%}
        {%- do adapter.drop_schema(relation) -%}
        {%- do adapter.create_schema(relation) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- set copied = [] -%}
    {%- for node in carried_over if node.schema.endswith(suffix)
        and (not flags.FULL_REFRESH or node.unique_id not in selected_resources) -%}
        {%- set published_schema = node.schema[:-(suffix | length)] -%}
        {%- set published = api.Relation.create(
            database=node.database, schema=published_schema, identifier=node.alias
        ) -%}
        {%- set shadow = api.Relation.create(
            database=node.database, schema=node.schema, identifier=node.alias,
            type='table'
        ) -%}
        {#- Indexes, and primary keys as constraints (not as bare unique
            indexes), so the copy keeps the keys the published table had;
            foreign keys are declared at publish (publish/keys.py). -#}
        {%- set indexes = run_query(
            "select i.indexdef from pg_catalog.pg_indexes as i"
            ~ " where i.schemaname = '" ~ published_schema ~ "'"
            ~ " and i.tablename = '" ~ node.alias ~ "'"
            ~ " and not exists (select 1 from pg_catalog.pg_constraint as c"
            ~ " where c.conindid = (quote_ident(i.schemaname) || '.'"
            ~ " || quote_ident(i.indexname))::regclass)"
            ~ " union all"
            ~ " select 'alter table " ~ shadow ~ " add constraint '"
            ~ " || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid)"
            ~ " from pg_catalog.pg_constraint as c"
            ~ " where c.conrelid = to_regclass('" ~ published_schema ~ "."
            ~ node.alias ~ "') and c.contype in ('p', 'u')"
        ) -%}
        {%- set found = run_query(
            "select 1 from pg_catalog.pg_tables where schemaname = '"
            ~ published_schema ~ "' and tablename = '" ~ node.alias ~ "'"
        ) -%}
        {%- if found.rows | length > 0 -%}
            {#- Autovacuum off until the publish turns it back on: its VACUUM
                of the fresh copy deadlocked with the model's grant and
                comment (docs/decisions.md). -#}
            {%- do statements.append(
                'create table ' ~ shadow ~ ' (like ' ~ published
                ~ ' including all excluding indexes)'
                ~ ' with (autovacuum_enabled = false)'
            ) -%}
            {%- do statements.append(
                'insert into ' ~ shadow ~ ' select * from ' ~ published
            ) -%}
            {%- for row in indexes.rows -%}
                {%- do statements.append(row[0] | replace(
                    ' ON ' ~ published_schema ~ '.', ' ON ' ~ node.schema ~ '.', 1
                )) -%}
            {%- endfor -%}
            {%- do adapter.cache_added(shadow) -%}
            {%- do copied.append(published | string) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ log('shadow schemas ' ~ schemas | join(', ') ~ ' emptied; copied in: '
           ~ (copied | join(', ') or 'no published table'), info=true) }}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

{#-
    The primary and foreign keys the YAML declares (`constraints:` of the
    marts, monitoring and ml models), kept in the catalogue across every kind
    of run: on-run-start releases the foreign keys that point at a table the
    run rebuilds, on-run-end declares every key that is missing. Why and how:
    macros/_macros.yml, docs/bi.md.
-#}
{% macro release_foreign_keys() -%}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'retry') -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(adapter.dispatch('release_foreign_keys', 'retail_warehouse')()) }}
{%- endmacro %}

{% macro declare_keys() -%}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'retry') -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(adapter.dispatch('declare_keys', 'retail_warehouse')()) }}
{%- endmacro %}

{% macro declared_keys() -%}
    {%- set models = {} -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- do models.update({node.name: node}) -%}
    {%- endfor -%}
    {%- set keys = [] -%}
    {%- for node in models.values() -%}
        {%- set constraints = [] -%}
        {%- for constraint in node.constraints -%}
            {%- do constraints.append((constraint, constraint.columns)) -%}
        {%- endfor -%}
        {%- for column in node.columns.values() -%}
            {%- for constraint in column.constraints -%}
                {%- do constraints.append((constraint, [column.name])) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for constraint, columns in constraints
            if constraint.type in ('primary_key', 'foreign_key') -%}
            {%- set key = {
                'table': key_table_name(node),
                'kind': 'p' if constraint.type == 'primary_key' else 'f',
                'columns': columns | join(','),
                'to': none,
                'to_columns': '',
            } -%}
            {%- if constraint.type == 'foreign_key' -%}
                {%- do key.update({
                    'to': foreign_key_target(constraint.to, models),
                    'to_columns': constraint.to_columns | join(','),
                }) -%}
            {%- endif -%}
            {%- do keys.append(key) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{% macro foreign_key_target(to, models) -%}
    {#- schema.table of a foreign key's `to`: ref('name') as written, or the
        relation dbt resolved it to ("database"."schema"."table"). -#}
    {%- set name = modules.re.search("ref\\(\\s*['\"]([^'\"]+)['\"]", to) -%}
    {%- if name -%}
        {{ return(key_table_name(models[name.group(1)])) }}
    {%- endif -%}
    {{ return((to | replace('"', '')).split('.')[-2:] | join('.')) }}
{%- endmacro %}

{% macro key_table_name(node) -%}
    {{ return(node.schema ~ '.' ~ node.alias) }}
{%- endmacro %}

{% macro catalogued_keys(schemas) -%}
    {{ return(adapter.dispatch('catalogued_keys', 'retail_warehouse')(schemas)) }}
{%- endmacro %}

{% macro default__catalogued_keys(schemas) -%}
    {{ return([]) }}
{%- endmacro %}

{% macro postgres__catalogued_keys(schemas) -%}
    {%- set rows = run_query(
        "select n.nspname || '.' || t.relname, c.contype, c.conname,"
        ~ " array_to_string(array(select a.attname"
        ~ " from unnest(c.conkey) with ordinality as k (attnum, position)"
        ~ " inner join pg_catalog.pg_attribute as a"
        ~ " on a.attrelid = c.conrelid and a.attnum = k.attnum"
        ~ " order by k.position), ','),"
        ~ " rn.nspname || '.' || rt.relname,"
        ~ " array_to_string(array(select a.attname"
        ~ " from unnest(c.confkey) with ordinality as k (attnum, position)"
        ~ " inner join pg_catalog.pg_attribute as a"
        ~ " on a.attrelid = c.confrelid and a.attnum = k.attnum"
        ~ " order by k.position), ',')"
        ~ " from pg_catalog.pg_constraint as c"
        ~ " inner join pg_catalog.pg_class as t on t.oid = c.conrelid"
        ~ " inner join pg_catalog.pg_namespace as n on n.oid = t.relnamespace"
        ~ " left join pg_catalog.pg_class as rt on rt.oid = c.confrelid"
        ~ " left join pg_catalog.pg_namespace as rn on rn.oid = rt.relnamespace"
        ~ " where c.contype in ('p', 'f')"
        ~ " and n.nspname in ('" ~ schemas | join("', '") ~ "')"
    ) -%}
    {{ return(keys_from_rows(rows)) }}
{%- endmacro %}

{% macro duckdb__catalogued_keys(schemas) -%}
    {%- set rows = run_query(
        "select schema_name || '.' || table_name,"
        ~ " case constraint_type when 'PRIMARY KEY' then 'p' else 'f' end,"
        ~ " constraint_name, array_to_string(constraint_column_names, ','),"
        ~ " schema_name || '.' || referenced_table,"
        ~ " array_to_string(referenced_column_names, ',')"
        ~ " from duckdb_constraints()"
        ~ " where database_name = current_database()"
        ~ " and constraint_type in ('PRIMARY KEY', 'FOREIGN KEY')"
        ~ " and schema_name in ('" ~ schemas | join("', '") ~ "')"
    ) -%}
    {{ return(keys_from_rows(rows)) }}
{%- endmacro %}

{% macro keys_from_rows(rows) -%}
    {%- set keys = [] -%}
    {%- for row in rows -%}
        {%- do keys.append({
            'table': row[0], 'kind': row[1], 'name': row[2],
            'columns': row[3], 'to': row[4] if row[1] == 'f' else none,
            'to_columns': row[5] if row[1] == 'f' else '',
        }) -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{% macro existing_tables(schemas) -%}
    {%- set rows = run_query(
        "select table_schema || '.' || table_name from information_schema.tables"
        ~ " where table_type = 'BASE TABLE' and table_catalog = current_database()"
        ~ " and table_schema in ('" ~ schemas | join("', '") ~ "')"
    ) -%}
    {{ return(rows.columns[0].values() | list) }}
{%- endmacro %}

{% macro key_schemas(keys) -%}
    {%- set schemas = [] -%}
    {%- for key in keys if key.table.split('.')[0] not in schemas -%}
        {%- do schemas.append(key.table.split('.')[0]) -%}
    {%- endfor -%}
    {{ return(schemas) }}
{%- endmacro %}

{% macro key_in(key, keys) -%}
    {#- Whether keys hold the same key (table, kind, columns, target). -#}
    {%- for other in keys
        if other.table == key.table and other.kind == key.kind
        and other.columns == key.columns and other.to == key.to
        and other.to_columns == key.to_columns -%}
        {{ return(true) }}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}

{% macro built_tables() -%}
    {#- The tables of the models this run builds (selected). -#}
    {%- set tables = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.unique_id in selected_resources -%}
        {%- do tables.append(key_table_name(node)) -%}
    {%- endfor -%}
    {{ return(tables) }}
{%- endmacro %}

{% macro default__release_foreign_keys() -%}
    {{ return('') }}
{%- endmacro %}

{% macro default__declare_keys() -%}
    {{ return('') }}
{%- endmacro %}

{% macro missing_primary_keys(declared, catalogued, tables, skipped=[]) -%}
    {#- alter table ... add primary key for each existing table (but the
        skipped ones) whose declared primary key the catalogue lacks. -#}
    {%- set statements = [] -%}
    {%- for key in declared
        if key.kind == 'p' and key.table in tables and key.table not in skipped
        and not key_in(key, catalogued) -%}
        {%- do statements.append(
            'alter table ' ~ key.table ~ ' add primary key (' ~ key.columns ~ ')'
        ) -%}
    {%- endfor -%}
    {{ return(statements) }}
{%- endmacro %}

{% macro postgres__release_foreign_keys() -%}
    {%- set declared = declared_keys() -%}
    {%- set schemas = key_schemas(declared) -%}
    {%- set catalogued = catalogued_keys(schemas) -%}
    {%- set built = built_tables() -%}
    {%- set statements = missing_primary_keys(
        declared, catalogued, existing_tables(schemas)
    ) -%}
    {%- for key in catalogued if key.kind == 'f' and key.to in built -%}
        {%- do statements.append(
            'alter table ' ~ key.table ~ ' drop constraint ' ~ key.name
        ) -%}
    {%- endfor -%}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

{% macro postgres__declare_keys() -%}
    {%- set declared = declared_keys() -%}
    {%- set schemas = key_schemas(declared) -%}
    {%- set catalogued = catalogued_keys(schemas) -%}
    {%- set tables = existing_tables(schemas) -%}
    {%- set statements = missing_primary_keys(declared, catalogued, tables) -%}
    {%- for key in declared
        if key.kind == 'f' and key.table in tables and key.to in tables
        and not key_in(key, catalogued) -%}
        {%- do statements.append(
            'alter table ' ~ key.table ~ ' add foreign key (' ~ key.columns
            ~ ') references ' ~ key.to ~ ' (' ~ key.to_columns ~ ')'
        ) -%}
    {%- endfor -%}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

{% macro duckdb__release_foreign_keys() -%}
    {%- set declared = declared_keys() -%}
    {%- set schemas = key_schemas(declared) -%}
    {%- set catalogued = catalogued_keys(schemas) -%}
    {%- set built = built_tables() -%}
    {%- set released = [] -%}
    {%- for key in catalogued
        if key.kind == 'f' and key.to in built and key.table not in released -%}
        {%- do released.append(key.table) -%}
    {%- endfor -%}
    {%- set rebuilt = duckdb_rebuild_with_keys(released, catalogued, declared, []) -%}
    {%- set statements = missing_primary_keys(
        declared, catalogued, existing_tables(schemas), rebuilt.tables
    ) -%}
    {{ return((statements + rebuilt.statements) | join(';\n')) }}
{%- endmacro %}

{% macro duckdb__declare_keys() -%}
    {%- set declared = declared_keys() -%}
    {%- set schemas = key_schemas(declared) -%}
    {%- set catalogued = catalogued_keys(schemas) -%}
    {%- set tables = existing_tables(schemas) -%}
    {%- set wanted = [] -%}
    {%- set missing = [] -%}
    {%- for key in declared
        if key.kind == 'f' and key.table in tables and key.to in tables -%}
        {%- do wanted.append(key) -%}
        {%- if not key_in(key, catalogued) and key.table not in missing -%}
            {%- do missing.append(key.table) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set rebuilt = duckdb_rebuild_with_keys(missing, catalogued, declared, wanted) -%}
    {%- set statements = missing_primary_keys(
        declared, catalogued, tables, rebuilt.tables
    ) -%}
    {{ return((statements + rebuilt.statements) | join(';\n')) }}
{%- endmacro %}

{% macro duckdb_rebuild_with_keys(tables, catalogued, declared, foreign_keys) -%}
    {#-
        DuckDB can neither add nor drop a foreign key on an existing table,
        nor drop a table a foreign key references: each table is copied,
        dropped (the tables that reference it first) and created again under
        its own name (duckdb/duckdb#24648: a table with a foreign key must
        not be renamed) with its columns, comments, primary key and the
        given foreign keys, then filled from the copy.
    -#}
    {%- set tables = tables | list -%}
    {%- for round in range(10) -%}
        {%- for key in catalogued
            if key.kind == 'f' and key.to in tables and key.table not in tables -%}
            {%- do tables.append(key.table) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not tables -%}
        {{ return({'tables': [], 'statements': []}) }}
    {%- endif -%}
    {#- Referencing tables before the tables they reference. -#}
    {%- set ordered = [] -%}
    {%- for round in range(tables | length) -%}
        {%- for table in tables if table not in ordered -%}
            {%- set waiting = [] -%}
            {%- for key in catalogued
                if key.kind == 'f' and key.to == table and key.table != table
                and key.table in tables and key.table not in ordered -%}
                {%- do waiting.append(key.table) -%}
            {%- endfor -%}
            {%- if not waiting -%}
                {%- do ordered.append(table) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set drops = [] -%}
    {%- set creates = [] -%}
    {%- for table in ordered -%}
        {%- set schema, name = table.split('.') -%}
        {%- set copy = table ~ '__keys_copy' -%}
        {%- set columns = run_query(
            "select column_name, data_type, is_nullable, comment"
            ~ " from duckdb_columns() where database_name = current_database()"
            ~ " and schema_name = '" ~ schema ~ "' and table_name = '" ~ name ~ "'"
            ~ " order by column_index"
        ) -%}
        {%- set comment = run_query(
            "select comment from duckdb_tables() where database_name = current_database()"
            ~ " and schema_name = '" ~ schema ~ "' and table_name = '" ~ name ~ "'"
        ).columns[0].values() -%}
        {%- set definitions = [] -%}
        {%- for column in columns -%}
            {%- do definitions.append(
                column[0] ~ ' ' ~ column[1] ~ ('' if column[2] else ' not null')
            ) -%}
        {%- endfor -%}
        {%- set primary_keys = [] -%}
        {%- for key in declared + catalogued
            if key.table == table and key.kind == 'p' and not primary_keys -%}
            {%- do primary_keys.append('primary key (' ~ key.columns ~ ')') -%}
        {%- endfor -%}
        {%- do definitions.extend(primary_keys) -%}
        {%- for key in foreign_keys if key.table == table -%}
            {%- do definitions.append(
                'foreign key (' ~ key.columns ~ ') references ' ~ key.to
                ~ ' (' ~ key.to_columns ~ ')'
            ) -%}
        {%- endfor -%}
        {%- do drops.append('drop table if exists ' ~ copy) -%}
        {%- do drops.append('create table ' ~ copy ~ ' as select * from ' ~ table) -%}
        {%- do drops.append('drop table ' ~ table) -%}
        {%- set create = [
            'create table ' ~ table ~ ' (\n    ' ~ definitions | join(',\n    ') ~ '\n)',
            'insert into ' ~ table ~ ' select * from ' ~ copy,
            'drop table ' ~ copy,
        ] -%}
        {%- if comment and comment[0] -%}
            {%- do create.append(
                'comment on table ' ~ table ~ ' is ' ~ dbt.string_literal(
                    comment[0] | replace("'", "''"))
            ) -%}
        {%- endif -%}
        {%- for column in columns if column[3] -%}
            {%- do create.append(
                'comment on column ' ~ table ~ '.' ~ column[0] ~ ' is '
                ~ dbt.string_literal(column[3] | replace("'", "''"))
            ) -%}
        {%- endfor -%}
        {%- do creates.insert(0, create | join(';\n')) -%}
    {%- endfor -%}
    {{ log('keys: rebuilt ' ~ ordered | join(', ') ~ ' to '
           ~ ('declare their foreign keys' if foreign_keys
              else 'release their foreign keys'), info=true) }}
    {{ return({'tables': ordered, 'statements': drops + creates}) }}
{%- endmacro %}

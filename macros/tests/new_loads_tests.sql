{#-
    Row tests of the line-level relations in a published build read only the
    loads the published warehouse has not seen (it passed them all when it
    was published). Why and when: macros/_macros.yml.
-#}
{% macro tests_new_loads_only() -%}
    {{ return(
        execute
        and env_var('RW_TEST_NEW_LOADS_ONLY', '') == '1'
        and not flags.FULL_REFRESH
    ) }}
{%- endmacro %}

{% macro tested_loads_relation() -%}
    {{ return(api.Relation.create(
        database=target.database,
        schema=layer_schema_name('intermediate'),
        identifier='build_tested_loads',
        type='table'
    )) }}
{%- endmacro %}

{% macro record_tested_loads() -%}
    {%- if not tests_new_loads_only() or flags.WHICH != 'build' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set suffix = build_schema_suffix() -%}
    {%- set facts = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.name == 'fct_invoice_lines' -%}
        {%- do facts.append(node) -%}
    {%- endfor -%}
    {%- set watermark = tested_loads_relation() -%}
    {%- do run_query('drop table if exists ' ~ watermark) -%}
    {%- do adapter.cache_dropped(watermark) -%}
    {%- if facts | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set fact = facts[0] -%}
    {%- set published_schema = (
        fact.schema[:-(suffix | length)] if suffix else fact.schema
    ) -%}
    {%- set published = adapter.get_relation(
        database=fact.database, schema=published_schema, identifier=fact.alias
    ) -%}
    {%- if published is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- do adapter.create_schema(watermark.without_identifier()) -%}
    {%- do run_query(
        'create table ' ~ watermark ~ ' as select cast(coalesce(max(load_id), 0)'
        ~ ' as integer) as last_tested_load_id from ' ~ published
    ) -%}
    {%- do adapter.cache_added(watermark) -%}
    {{ log('row tests of the line-level relations read the loads after '
           ~ run_query('select last_tested_load_id from ' ~ watermark).columns[0].values()[0],
           info=true) }}
    {{ return('') }}
{%- endmacro %}

{#-
    dbt's where-config wrapper, plus the rule above: in a published build a
    row test (ROW_TESTS) of a model in var new_loads_tested_models reads the
    rows with load_id > the recorded load only.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set row_tests = [
        'unique', 'not_null', 'accepted_values', 'relationships',
        'accepted_range', 'expression_is_true', 'unique_combination_of_columns'
    ] -%}
    {%- set conditions = [] -%}
    {%- if config.get('where', '') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- set test = model.get('test_metadata') or {} -%}
    {%- if tests_new_loads_only()
        and test.get('name') in row_tests
        and relation.identifier in var('new_loads_tested_models', []) -%}
        {%- set recorded = tested_loads_relation() -%}
        {%- set watermark = adapter.get_relation(
            database=recorded.database,
            schema=recorded.schema,
            identifier=recorded.identifier
        ) -%}
        {%- if watermark is not none -%}
            {%- do conditions.append(
                'load_id > (select last_tested_load_id from ' ~ watermark ~ ')'
            ) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} as unfiltered where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

{#-
    Where the loader's parquet folders are, as Spark sees them: the var
    spark_lake_location, else RW_SPARK_LAKE, else the folder lake beside the
    session's warehouse folder (RW_SPARK_DIR/lake). Why: macros/_macros.yml.
-#}
{% macro spark_lake_location() -%}
    {%- set given = var('spark_lake_location', env_var('RW_SPARK_LAKE', '')) | trim -%}
    {%- if given -%}
        {{ return(given.rstrip('/')) }}
    {%- endif -%}
    {%- set warehouse = run_query('set spark.sql.warehouse.dir').rows[0][1] -%}
    {{ return(warehouse.rstrip('/').rsplit('/', 1)[0] ~ '/lake') }}
{%- endmacro %}

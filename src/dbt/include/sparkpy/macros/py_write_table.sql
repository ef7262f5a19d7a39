{#- Replaces dbt-spark's py_write_table (this adapter's macros come before
    dbt-spark's): the model's result is written by
    dbt.adapters.sparkpy.frames.write_table in the session the model ran in. -#}
{% macro py_write_table(compiled_code, target_relation) %}
{{ compiled_code }}
# --- dbt-sparkpy: run the model and write its result to the table --- #
from dbt.adapters.sparkpy.frames import write_table as _sparkpy_write_table

dbt = dbtObj(spark.table)
_sparkpy_write_table(
    spark,
    model(dbt, spark),
    "{{ target_relation }}",
    {{ "'" ~ config.get('file_format') ~ "'" if config.get('file_format') else 'None' }},
)
{%- endmacro -%}

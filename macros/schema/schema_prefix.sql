{#-
    The prefix put in front of every schema name: the var schema_prefix when
    given, else the environment variable RW_SCHEMA_PREFIX (which the loader
    reads too), else nothing. Refused unless lower-case letters, digits and
    underscores (the loader's rule, settings.check_schema_prefix; a test
    keeps the two patterns equal): schema names are never quoted. At most 36
    characters (settings.MAX_SCHEMA_PREFIX_LENGTH): PostgreSQL cuts names at 63
    bytes, and the longest schema is <prefix>intermediate__previous_1000.
-#}
{% macro schema_prefix() -%}
    {%- set prefix = var('schema_prefix', env_var('RW_SCHEMA_PREFIX', '')) | trim -%}
    {%- if prefix and not modules.re.match('^[a-z_][a-z0-9_]*$', prefix) -%}
        {{ exceptions.raise_compiler_error(
            "schema prefix '" ~ prefix ~ "' must be lower-case letters, digits and "
            ~ "underscores, starting with a letter or an underscore"
        ) }}
    {%- endif -%}
    {%- if prefix | length > 36 -%}
        {{ exceptions.raise_compiler_error(
            "schema prefix of " ~ (prefix | length) ~ " characters is too long: at most 36"
        ) }}
    {%- endif -%}
    {{ return(prefix) }}
{%- endmacro %}

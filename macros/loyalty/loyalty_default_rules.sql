{#-
    The programme's rules from the loyalty_* vars (dbt_project.yml,
    docs/loyalty.md) as one row of rules (the first row of
    int_loyalty_scenarios_filled; the feed's models): scenario_id
    'default', points per currency unit of net product revenue, points per
    reward, the reward's value, months without a purchase before points
    expire (null = never) and the eligible loyalty tiers joined by '|'
    (null = every identified customer). A value that
    makes no sense stops the compile with a message naming the var.
-#}
{% macro loyalty_default_rules() -%}
    {%- set points_per_unit = var('loyalty_points_per_currency_unit') -%}
    {%- set points_per_reward = var('loyalty_points_per_reward') -%}
    {%- set reward_value = var('loyalty_reward_value') -%}
    {%- set expiry_months = var('loyalty_expiry_months') -%}
    {%- set tiers = var('loyalty_eligible_tiers') -%}
    {#- x != x: NaN, which passes every comparison; the upper bounds are the columns' (numeric(9, 3), numeric(18, 2)), so .inf too is named here, not by the engine -#}
    {%- if points_per_unit is not number or points_per_unit != points_per_unit or points_per_unit < 0 or points_per_unit > 999999.999 -%}
        {{ exceptions.raise_compiler_error("var loyalty_points_per_currency_unit must be a number from 0 to 999999.999, got " ~ points_per_unit) }}
    {%- endif -%}
    {%- if points_per_reward is not number or points_per_reward < 1 or points_per_reward != points_per_reward | int -%}
        {{ exceptions.raise_compiler_error("var loyalty_points_per_reward must be a whole number >= 1, got " ~ points_per_reward) }}
    {%- endif -%}
    {%- if reward_value is not number or reward_value != reward_value or reward_value < 0 or reward_value >= 10000000000000000 -%}
        {{ exceptions.raise_compiler_error("var loyalty_reward_value must be a number from 0 to below 10^16, got " ~ reward_value) }}
    {%- endif -%}
    {%- if expiry_months is not none and (expiry_months is not number or expiry_months < 1 or expiry_months != expiry_months | int) -%}
        {{ exceptions.raise_compiler_error("var loyalty_expiry_months must be null or a whole number >= 1, got " ~ expiry_months) }}
    {%- endif -%}
    {%- if tiers is string -%}{%- set tiers = [tiers] -%}{%- endif -%}
    {%- for tier in (tiers or []) -%}
        {%- if tier not in ['platinum', 'gold', 'silver', 'standard'] -%}
            {{ exceptions.raise_compiler_error("var loyalty_eligible_tiers: unknown tier '" ~ tier ~ "' (platinum, gold, silver, standard)") }}
        {%- endif -%}
    {%- endfor -%}
    select
        cast('default' as {{ dbt.type_string() }}) as scenario_id,
        cast({{ points_per_unit }} as numeric(9, 3))
            as points_per_currency_unit,
        cast({{ points_per_reward | int }} as bigint) as points_per_reward,
        cast({{ reward_value }} as numeric(18, 2)) as reward_value,
        cast(
            {{ expiry_months | int if expiry_months is not none else 'null' }}
            as integer
        ) as expiry_months,
        cast(
            {{ "'" ~ (tiers | join('|')) ~ "'" if tiers else 'null' }}
            as {{ dbt.type_string() }}
        ) as eligible_tiers
{%- endmacro %}

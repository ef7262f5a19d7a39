{#-
    What a number of points is worth in currency: points x reward_value /
    points_per_reward, rounded half up to cents, identical on both engines.
    The one definition of the liability of outstanding points.
-#}
{% macro loyalty_points_value(points, reward_value, points_per_reward) -%}
    {{ divide_rounded(
        '(' ~ points ~ ') * (' ~ reward_value ~ ')', points_per_reward, 2
    ) }}
{%- endmacro %}

{#-
    Fails for every row whose value lies outside [min_value, max_value]
    (or the open interval when inclusive is false). Either bound may be
    omitted. Nulls pass; pair with not_null where they must not occur.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

with

validation as (

    select {{ column_name }} as value_checked
    from {{ model }}
    where {{ column_name }} is not null
        and (
            1 = 0
            {%- if min_value is not none %}
            or {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
            {%- endif %}
            {%- if max_value is not none %}
            or {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
            {%- endif %}
        )

)

select * from validation

{% endtest %}

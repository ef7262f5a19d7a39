{#-
    Fails (or warns, with severity warn) for every row of the model: for a
    data-quality mart that lists findings, whose rows are the warning.
-#}
{% test has_no_rows(model) %}

select * from {{ model }}

{% endtest %}

"""Scheduled and event-driven refresh with Dagster (the optional extra ``orchestration``).

``settings`` and ``inbox`` are plain Python; ``definitions`` needs ``dagster`` and
``dagster-dbt`` (``pip install .[orchestration]``). docs/orchestration.md explains the whole.
"""

"""Apache Superset dashboards kept as code: the import bundle made from the dbt project
(bundle.py) and the command that installs, configures and provisions Superset (provision.py);
docs/bi.md."""

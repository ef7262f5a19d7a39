"""retail_warehouse: a dbt-centric analytics warehouse for Online Retail II invoice data."""

__version__ = "0.1.0"

"""The module Dagster loads: ``dagster dev -m retail_warehouse.orchestration.definitions``
(``retail-warehouse orchestrate`` does it), with the settings of the environment."""

from retail_warehouse.orchestration.location import build_definitions

defs = build_definitions()

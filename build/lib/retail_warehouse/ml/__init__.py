"""Machine-learning logic behind the dbt Python models in ``python_models/ml``.

Every public function is pure: pandas frames and plain parameters in, a pandas frame out,
with fixed random seeds, so two builds (and the DuckDB and PostgreSQL builds) give the same
rows. The model files only read their inputs, turn them into pandas with
:func:`retail_warehouse.ml.frames.relation_to_pandas` and call one function.
"""

MODEL_VERSION = "ml-0.1.0"
"""Written to the ``model_version`` column of every output; bump it when a model changes."""

RANDOM_STATE = 42
"""The seed of every estimator and of permutation importance."""

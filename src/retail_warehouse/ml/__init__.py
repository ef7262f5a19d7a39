"""Machine-learning logic behind the dbt Python models in ``python_models/ml``.

Every public function is pure: pandas frames and plain parameters in, a pandas frame out,
with fixed random seeds, so two builds (and the DuckDB and PostgreSQL builds) give the same
rows. The model files only read their inputs, turn them into pandas with
:func:`retail_warehouse.ml.frames.relation_to_pandas` and call one function.
"""

import importlib.util

# scikit-learn's input checks look polars up in sys.modules, and statsforecast imports it
# on first use. dbt runs two Python models at once in threads: one seeing polars half
# imported by the other failed (AttributeError from sklearn.utils._dataframe). Importing it
# whole here, with the package (a thread importing a module waits for another's import of
# it to finish), closes the window. polars comes with dbt-pybridge.
if importlib.util.find_spec("polars") is not None:
    import polars  # noqa: F401

MODEL_VERSION = "ml-0.5.0"
"""Written to the ``model_version`` column of every output; bump it when a model changes."""

RANDOM_STATE = 42
"""The seed of every estimator and of permutation importance."""

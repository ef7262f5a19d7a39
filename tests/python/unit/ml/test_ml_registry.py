"""The model registry: skops round trip, reproducible bytes, refusals."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import threading
import time

import pandas as pd
import pytest
from ml_direct import direct_clusters, direct_predictions

from retail_warehouse.ml import MODEL_VERSION
from retail_warehouse.ml import registry as registry_module
from retail_warehouse.ml.feature_table import feature_table
from retail_warehouse.ml.frames import from_day_number, last_day
from retail_warehouse.ml.persisted import (
    CLUSTER_MODEL,
    CUSTOMER_MODEL,
    cluster_model,
    clusters_from_registry,
    customer_models,
    fit_registry,
    predictions_from_registry,
)
from retail_warehouse.ml.registry import (
    REGISTRY_COLUMNS,
    ModelLoadError,
    ModelVersionError,
    RegistryError,
    dumps,
    load_file,
    loads,
    model_named,
    models_from_registry,
    registry_frame,
    save_file,
)

HORIZON, ACTIVE, WINDOWS = 90, 365, 2


@pytest.fixture
def registry(synthetic_invoices: pd.DataFrame) -> pd.DataFrame:
    return fit_registry(synthetic_invoices, HORIZON, ACTIVE, WINDOWS)


class Untrusted:
    """A type outside the allow-list (this test module)."""

    def __init__(self) -> None:
        self.value = 1


def test_registry_rows_describe_each_model(registry: pd.DataFrame) -> None:
    assert list(registry.columns) == list(REGISTRY_COLUMNS)
    assert registry["model_name"].tolist() == [CLUSTER_MODEL, CUSTOMER_MODEL]
    assert set(registry["model_version"]) == {MODEL_VERSION}
    assert set(registry["artifact_format"]) == {"skops"}
    predictions = registry.set_index("model_name").loc[CUSTOMER_MODEL]
    assert predictions["feature_list"].split(",")[:3] == ["recency_days", "frequency", "monetary"]
    assert predictions["training_cutoff_date"] < predictions["as_of_date"]
    assert (predictions["as_of_date"] - predictions["training_cutoff_date"]).days == HORIZON


def test_models_from_the_registry_score_as_the_direct_fit(
    synthetic_invoices: pd.DataFrame, registry: pd.DataFrame
) -> None:
    features = feature_table(synthetic_invoices, last_day(synthetic_invoices), HORIZON)
    pd.testing.assert_frame_equal(
        clusters_from_registry(registry, features), direct_clusters(synthetic_invoices)
    )
    pd.testing.assert_frame_equal(
        predictions_from_registry(registry, features),
        direct_predictions(synthetic_invoices, HORIZON, ACTIVE, WINDOWS),
    )


def test_artifacts_are_reproducible(
    synthetic_invoices: pd.DataFrame, registry: pd.DataFrame
) -> None:
    again = fit_registry(synthetic_invoices, HORIZON, ACTIVE, WINDOWS)
    assert again["artifact_sha256"].tolist() == registry["artifact_sha256"].tolist()
    assert again["artifact_base64"].tolist() == registry["artifact_base64"].tolist()


def test_the_registry_says_when_it_was_trained_outside_the_artifact(
    registry: pd.DataFrame,
) -> None:
    fitted = list(models_from_registry(registry).values())
    first = registry_frame(fitted, dt.datetime(2026, 1, 2, 3, 4, 5, 678))
    later = registry_frame(fitted, dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    assert first["trained_at"].tolist() == [pd.Timestamp("2026-01-02 03:04:05")] * 2
    assert later["trained_at"].tolist() == [pd.Timestamp("2026-02-01")] * 2
    assert first["artifact_sha256"].tolist() == later["artifact_sha256"].tolist()


def test_a_refresh_scores_at_the_newest_day_with_models_trained_earlier(
    synthetic_invoices: pd.DataFrame,
) -> None:
    newest = int(synthetic_invoices["day"].max())
    older = synthetic_invoices[synthetic_invoices["day"] <= newest - 30]
    trained_earlier = fit_registry(older, HORIZON, ACTIVE, WINDOWS)
    features = feature_table(synthetic_invoices, newest, HORIZON)
    predictions = predictions_from_registry(trained_earlier, features)
    clusters = clusters_from_registry(trained_earlier, features)
    newest_date = from_day_number(newest)
    assert set(predictions["as_of_date"]) == {newest_date}
    assert set(clusters["as_of_date"]) == {newest_date}
    models = models_from_registry(trained_earlier)
    scored = customer_models(models)
    assert scored.as_of_day == int(older["day"].max())
    # the features are today's: the recency of the customers who bought in the last 30 days
    recent = synthetic_invoices[(synthetic_invoices["day"] > newest - 30)]
    buyers = set(recent.loc[recent["is_purchase"], "customer_id"].dropna().astype(int))
    assert buyers, "the synthetic data has purchases in its last 30 days"
    scored_recency = predictions.set_index("customer_id")["recency_days"]
    assert all(scored_recency[customer] < 30 for customer in buyers if customer in scored_recency)


def test_a_model_of_another_version_is_refused(registry: pd.DataFrame) -> None:
    with pytest.raises(ModelVersionError, match=r"ml-9\.9\.9.*rebuild the warehouse"):
        models_from_registry(registry, expected_version="ml-9.9.9")
    old = registry.copy()
    old["model_version"] = "ml-0.0.1"
    with pytest.raises(ModelVersionError, match=r"built with model version ml-0\.0\.1"):
        models_from_registry(old)
    data = base64.b64decode(registry["artifact_base64"].iloc[0])
    with pytest.raises(
        ModelVersionError, match=f"version {MODEL_VERSION}, but this package uses ml-0.0.1"
    ):
        loads(data, expected_version="ml-0.0.1")


def test_untrusted_types_damaged_and_tampered_artifacts_are_refused(
    registry: pd.DataFrame,
) -> None:
    registered = models_from_registry(registry)[CLUSTER_MODEL]
    evil = dumps(dataclasses.replace(registered, model=Untrusted()))
    with pytest.raises(ModelLoadError, match=r"allow-list: .*Untrusted"):
        loads(evil)
    with pytest.raises(ModelLoadError, match="not a readable skops artifact"):
        loads(b"not a zip file")
    tampered = registry.copy()
    tampered.loc[0, "artifact_sha256"] = "0" * 64
    with pytest.raises(ModelLoadError, match="does not match its sha256"):
        models_from_registry(tampered)
    with pytest.raises(ModelLoadError, match="missing columns"):
        models_from_registry(registry.drop(columns=["artifact_base64"]))


def test_a_skops_file_round_trips(registry: pd.DataFrame, tmp_path) -> None:
    registered = models_from_registry(registry)[CUSTOMER_MODEL]
    path = save_file(registered, tmp_path / "customer_predictions.skops")
    loaded = load_file(path)
    assert loaded.features == registered.features
    assert loaded.training_cutoff_date == registered.training_cutoff_date
    assert loaded.parameters == {
        "active_window_days": ACTIVE,
        "horizon_days": HORIZON,
        "training_windows": WINDOWS,
    }


def test_an_unknown_model_name_lists_the_known_ones(registry: pd.DataFrame) -> None:
    with pytest.raises(RegistryError, match="customer_clusters, customer_predictions"):
        model_named(models_from_registry(registry), "churn")


def test_a_model_fitted_on_other_features_is_refused(registry: pd.DataFrame) -> None:
    models = models_from_registry(registry)
    registered = models[CUSTOMER_MODEL]
    changed = dataclasses.replace(registered.model, features=registered.model.features[:-1])
    models[CUSTOMER_MODEL] = dataclasses.replace(registered, model=changed)
    with pytest.raises(ModelVersionError, match="fitted on the features"):
        customer_models(models)
    assert cluster_model(models).features == models[CLUSTER_MODEL].features


def test_one_skops_load_at_a_time(registry: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    """dbt runs Python models in threads, and two of them load models at the same time. NumPy
    parses array headers with ast.literal_eval, which CPython 3.11 cannot run in two threads at
    once (it failed a build with "AST constructor recursion depth mismatch"), so loads queue."""
    artifacts = [base64.b64decode(text) for text in registry["artifact_base64"]]
    inside, most_inside = [0], [0]
    counter = threading.Lock()
    skops_loads = registry_module.sio.loads

    def watched_loads(*args: object, **kwargs: object) -> object:
        with counter:
            inside[0] += 1
            most_inside[0] = max(most_inside[0], inside[0])
        time.sleep(0.05)  # long enough for every other thread to arrive
        try:
            return skops_loads(*args, **kwargs)
        finally:
            with counter:
                inside[0] -= 1

    monkeypatch.setattr(registry_module.sio, "loads", watched_loads)
    threads = [threading.Thread(target=loads, args=(artifacts[n % 2],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most_inside[0] == 1

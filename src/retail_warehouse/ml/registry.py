"""The model registry: fitted models persisted at build time, loaded by the package and the API.

A fitted model (any object with ``features``, ``training_cutoff_day``, ``as_of_day`` and
``estimator_name``, e.g. :class:`~retail_warehouse.ml.customer_models.CustomerModels` or
:class:`~retail_warehouse.ml.clustering.ClusterModel`) is written with skops, a format that
loads without running arbitrary code: only types from an allow-list (scikit-learn, NumPy,
SciPy and this package's own modules) are ever rebuilt, anything else is refused. The skops
bytes hold the model and its metadata (name, model version, training cutoff, as-of date,
feature list), so a ``.skops`` file is self-describing; the registry table
``ml.ml_model_registry`` holds one row per model with the same metadata in columns and the
bytes as base64 text (portable to DuckDB and PostgreSQL, and swapped with the rest of the
warehouse by a build).

A model whose version is not this package's :data:`~retail_warehouse.ml.MODEL_VERSION` is
refused with :class:`ModelVersionError`: its features or estimators may mean something else.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import skops.io as sio

from retail_warehouse.ml import MODEL_VERSION
from retail_warehouse.ml.frames import from_day_number

ARTIFACT_FORMAT = "skops"
"""The file format of every artifact."""

_LOAD_LOCK = threading.Lock()
"""One skops load at a time in this process. skops rebuilds NumPy arrays, whose headers NumPy
parses with ``ast.literal_eval``; on CPython 3.11 two threads building ASTs at once can fail
with "AST constructor recursion depth mismatch" (python/cpython#106905, not fixed in 3.11).
dbt runs Python models in threads of one process, and two of them load models at once."""

TRUSTED_MODULE_PREFIXES: tuple[str, ...] = (
    "builtins.",
    "collections.",
    "numpy.",
    "scipy.",
    "sklearn.",
    "retail_warehouse.ml.",
)
"""Types from these modules may be rebuilt when an artifact is loaded; any other type in an
artifact makes the load fail (:class:`ModelLoadError`)."""

REGISTRY_COLUMNS: tuple[str, ...] = (
    "model_name",
    "model_version",
    "estimator",
    "feature_list",
    "feature_count",
    "training_cutoff_date",
    "as_of_date",
    "trained_at",
    "parameters",
    "artifact_format",
    "artifact_sha256",
    "artifact_bytes",
    "artifact_base64",
)
"""The columns of ``ml_model_registry``, in order."""


class RegistryError(ValueError):
    """A registered model cannot be used."""


class ModelVersionError(RegistryError):
    """The model was built by another model version than this package's."""


class ModelLoadError(RegistryError):
    """The artifact is damaged, not a registry artifact, or holds a type that is not trusted."""


class FittedModel(Protocol):
    """What the registry needs from a fitted model."""

    features: tuple[str, ...]
    as_of_day: int

    @property
    def training_cutoff_day(self) -> int: ...

    @property
    def estimator_name(self) -> str: ...


@dataclass(frozen=True)
class RegisteredModel:
    """A fitted model with its registry metadata."""

    name: str
    model: Any
    model_version: str
    features: tuple[str, ...]
    training_cutoff_date: dt.date
    as_of_date: dt.date
    estimator: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


def register(name: str, model: FittedModel, parameters: Mapping[str, Any]) -> RegisteredModel:
    """Wrap a fitted model of this package's version with its metadata."""
    return RegisteredModel(
        name=name,
        model=model,
        model_version=MODEL_VERSION,
        features=tuple(model.features),
        training_cutoff_date=from_day_number(model.training_cutoff_day),
        as_of_date=from_day_number(model.as_of_day),
        estimator=model.estimator_name,
        parameters=dict(parameters),
    )


def dumps(registered: RegisteredModel) -> bytes:
    """The skops bytes of a model and its metadata (what a ``.skops`` file holds)."""
    payload = {
        "name": registered.name,
        "model_version": registered.model_version,
        "features": list(registered.features),
        "training_cutoff_date": registered.training_cutoff_date.isoformat(),
        "as_of_date": registered.as_of_date.isoformat(),
        "estimator": registered.estimator,
        "parameters": json.dumps(dict(registered.parameters), sort_keys=True),
        "model": registered.model,
    }
    return _deterministic(sio.dumps(payload))


_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_ID_PATTERN = re.compile(r'("__id__": |"file": ")(\d+)')


def _deterministic(data: bytes) -> bytes:
    """The skops zip made reproducible, so two builds give identical bytes: skops names
    objects and array files by their memory address (``id()``) and stamps entries with the
    time of writing. Addresses are renumbered in order of first appearance in the schema
    (the same address keeps the same number, so shared objects stay shared), entries are
    dated 1980-01-01, sorted and deflated."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        schema = source.read("schema.json").decode("utf-8")
        numbers: dict[str, str] = {}

        def renumber(match: re.Match[str]) -> str:
            number = numbers.setdefault(match.group(2), str(len(numbers) + 1))
            return match.group(1) + number

        schema = _ID_PATTERN.sub(renumber, schema)
        entries = {"schema.json": schema.encode("utf-8")}
        for name in source.namelist():
            if name == "schema.json":
                continue
            stem, dot, suffix = name.partition(".")
            if stem not in numbers:
                raise ModelLoadError(f"unexpected entry {name!r} in the skops archive")
            entries[f"{numbers[stem]}{dot}{suffix}"] = source.read(name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in sorted(entries):
            entry = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, entries[name])
    return buffer.getvalue()


def _is_trusted(type_name: str) -> bool:
    return type_name.startswith(TRUSTED_MODULE_PREFIXES)


def _trusted_payload(data: bytes, source: str) -> object:
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as error:  # skops raises several kinds for bytes that are not its format
        raise ModelLoadError(f"{source}: not a readable skops artifact ({error})") from error
    refused = sorted(name for name in untrusted if not _is_trusted(name))
    if refused:
        raise ModelLoadError(
            f"{source}: refusing to load types outside the allow-list: {', '.join(refused)}"
        )
    try:
        return sio.loads(data, trusted=list(untrusted))
    except Exception as error:
        raise ModelLoadError(f"{source}: the skops artifact cannot be loaded ({error})") from error


def loads(
    data: bytes, source: str = "artifact", expected_version: str = MODEL_VERSION
) -> RegisteredModel:
    """Load skops bytes written by :func:`dumps`, refusing untrusted types and models of
    another version. ``source`` names the artifact in error messages."""
    with _LOAD_LOCK:
        payload = _trusted_payload(data, source)
    if not isinstance(payload, dict) or "model" not in payload or "model_version" not in payload:
        raise ModelLoadError(f"{source}: not a model registry artifact")
    version = str(payload["model_version"])
    if version != expected_version:
        raise ModelVersionError(
            f"{source}: model {payload.get('name')!r} was built with model version {version}, "
            f"but this package uses {expected_version}; rebuild the warehouse with this "
            "package (retail-warehouse build) or install the package version that built it"
        )
    return RegisteredModel(
        name=str(payload["name"]),
        model=payload["model"],
        model_version=version,
        features=tuple(str(name) for name in payload["features"]),
        training_cutoff_date=dt.date.fromisoformat(str(payload["training_cutoff_date"])),
        as_of_date=dt.date.fromisoformat(str(payload["as_of_date"])),
        estimator=str(payload["estimator"]),
        parameters=json.loads(str(payload["parameters"])),
    )


def save_file(registered: RegisteredModel, path: Path) -> Path:
    """Write the model to a ``.skops`` file; returns the path."""
    path.write_bytes(dumps(registered))
    return path


def load_file(path: Path, expected_version: str = MODEL_VERSION) -> RegisteredModel:
    """Read a ``.skops`` file written by :func:`save_file` (see :func:`loads`)."""
    return loads(path.read_bytes(), source=str(path), expected_version=expected_version)


def registry_frame(
    models: Iterable[RegisteredModel], trained_at: dt.datetime | None = None
) -> pd.DataFrame:
    """One row per model, the columns of :data:`REGISTRY_COLUMNS`, sorted by model name.
    ``trained_at`` (UTC, default now, to the second) is when the training lane fitted them:
    a column of the table, not part of the artifact, whose bytes stay reproducible."""
    fitted_at = (trained_at or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0)
    rows = []
    for registered in models:
        data = dumps(registered)
        rows.append(
            {
                "model_name": registered.name,
                "model_version": registered.model_version,
                "estimator": registered.estimator,
                "feature_list": ",".join(registered.features),
                "feature_count": len(registered.features),
                "training_cutoff_date": registered.training_cutoff_date,
                "as_of_date": registered.as_of_date,
                "trained_at": fitted_at,
                "parameters": json.dumps(dict(registered.parameters), sort_keys=True),
                "artifact_format": ARTIFACT_FORMAT,
                "artifact_sha256": hashlib.sha256(data).hexdigest(),
                "artifact_bytes": len(data),
                "artifact_base64": base64.b64encode(data).decode("ascii"),
            }
        )
    frame = pd.DataFrame(rows, columns=list(REGISTRY_COLUMNS))
    frame["feature_count"] = frame["feature_count"].astype("int64")
    frame["artifact_bytes"] = frame["artifact_bytes"].astype("int64")
    return frame.sort_values("model_name", kind="mergesort").reset_index(drop=True)


def models_from_registry(
    frame: pd.DataFrame, expected_version: str = MODEL_VERSION
) -> dict[str, RegisteredModel]:
    """Every model of a registry table (as read from either engine), by name. Each artifact's
    checksum and version are checked (:class:`ModelLoadError`, :class:`ModelVersionError`)."""
    missing = [column for column in REGISTRY_COLUMNS if column not in frame.columns]
    if missing:
        raise ModelLoadError(f"ml_model_registry is missing columns: {missing}")
    models = {}
    for row in frame.to_dict("records"):
        name = str(row["model_name"])
        source = f"ml_model_registry model {name!r}"
        if str(row["model_version"]) != expected_version:
            raise ModelVersionError(
                f"{source} was built with model version {row['model_version']}, but this "
                f"package uses {expected_version}; rebuild the warehouse with this package "
                "(retail-warehouse build) or install the package version that built it"
            )
        data = base64.b64decode(str(row["artifact_base64"]))
        if hashlib.sha256(data).hexdigest() != str(row["artifact_sha256"]):
            raise ModelLoadError(f"{source}: the artifact does not match its sha256")
        models[name] = loads(data, source=source, expected_version=expected_version)
    return models


def model_named(models: Mapping[str, RegisteredModel], name: str) -> RegisteredModel:
    """The model called ``name``, or a :class:`RegistryError` that lists the ones there are."""
    if name not in models:
        known = ", ".join(sorted(models)) or "none"
        raise RegistryError(
            f"the model registry has no model {name!r} (it has: {known}); rebuild the warehouse"
        )
    return models[name]

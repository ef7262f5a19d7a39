"""The suite's xdist scheduler (tests/python/conftest.py): groups whole to one worker, the
longest groups first, and a worker's next group only when it has one test left."""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path
from typing import Any

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"
SPARK = "tests/python/integration/test_spark_build.py"
PUBLISHED = "tests/python/integration/test_published_build.py"
SMALL = "tests/python/unit/test_small.py"
WAREHOUSE = "tests/python/integration/test_warehouse_build.py"


def _root_conftest() -> types.ModuleType:
    """The suite's root conftest, imported under a name of its own (pytest keeps each
    conftest as `conftest`, so importing that name would find whichever came last)."""
    spec = importlib.util.spec_from_file_location("root_conftest_for_test", CONFTEST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeNode:
    """A worker as the scheduler sees it: what it was sent, and whether it was shut down."""

    def __init__(self, name: str) -> None:
        self.gateway = types.SimpleNamespace(id=name)
        self.sent: list[list[int]] = []
        self.shutting_down = False

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.append(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True


def _scheduler(root: Path) -> Any:
    config = types.SimpleNamespace(
        rootpath=root,
        option=types.SimpleNamespace(loadscopereorder=True),
        getvalue=lambda name: {"dist": "loadgroup", "tx": ["2*popen"]}[name],
    )
    conftest = _root_conftest()
    conftest.GROUP_SECONDS = {SPARK: 700, "built_warehouse": 500, PUBLISHED: 300}
    scheduler = conftest.pytest_xdist_make_scheduler(config, None)
    assert scheduler is not None
    return scheduler


@pytest.fixture
def collection(tmp_path: Path) -> list[str]:
    """Node ids of a suite: many quick unit tests collected first, a warehouse module of
    the `built_warehouse` group, then the published build and the Spark build (two tests,
    the first long) collected last."""
    (tmp_path / "tests/python/integration").mkdir(parents=True)
    (tmp_path / WAREHOUSE).write_text("def test_a(built_warehouse):\n    pass\n")
    return [
        *(f"{SMALL}::test_{number}" for number in range(6)),
        *(f"{WAREHOUSE}::test_{number}" for number in range(4)),
        *(f"{PUBLISHED}::test_{number}" for number in range(3)),
        f"{SPARK}::test_tpch_on_spark_equals_duckdb",
        f"{SPARK}::test_spark_state_stays_in_its_folder",
    ]


def _sent(node: FakeNode, collection: list[str]) -> list[list[str]]:
    return [[collection[index] for index in batch] for batch in node.sent]


def test_the_longest_groups_start_first_and_a_second_waits_for_the_first(
    tmp_path: Path, collection: list[str]
) -> None:
    scheduler = _scheduler(tmp_path)
    first, second = FakeNode("gw0"), FakeNode("gw1")
    for node in (first, second):
        scheduler.add_node(node)
        scheduler.add_node_collection(node, collection)
    scheduler.schedule()

    # the Spark build (collected last, two tests) and the built_warehouse group first, and
    # the worker with the Spark build gets nothing more while both of its tests are left
    assert _sent(first, collection) == [collection[-2:]]
    assert _sent(second, collection) == [collection[6:10]]

    # with one test left a worker is waiting for its next: it gets the longest left
    scheduler.mark_test_complete(first, len(collection) - 2)
    assert _sent(first, collection)[1] == collection[10:13]
    scheduler.mark_test_complete(second, 6)
    assert len(second.sent) == 1

"""How the suite is shared out when it runs on several workers.

`make test` runs pytest with pytest-xdist (`-n 2 --dist loadgroup`: one worker per core of
CI's machine; docs/testing.md, "Test time"). Each worker is its own pytest session, so a
fixture made once per module or per session would be made once per worker that runs a test
needing it. To keep each expensive build made once, tests are sent to the workers in groups,
a group whole to one worker, in the order they were collected:

- a test module is a group (its module-scoped fixtures, such as a build on a sample, are made
  once, and its tests run in their written order, which some rely on);
- the modules using one of the session fixtures in SHARED_FIXTURES are one group per fixture:
  `built_warehouse` (the full data built on both targets) is built once, and `manifest` (the
  unit tests' `dbt parse`) parsed once per source;
- modules that share something else that only one may use at a time (a server on a fixed
  port, a folder in the repository, Spark's metastore in the working directory) join one
  group by saying so at module level: `pytestmark = pytest.mark.xdist_group("spark")`.

The longest groups (GROUP_SECONDS) are sent first, longest first, so that no long group
starts last and leaves one worker running it alone at the end; the rest follow in xdist's
order (most tests first). A worker is given its next group only when it has run all but
the last test of the groups it has (it holds the last back until it knows what comes next),
not two tests before: otherwise a worker whose group has two long tests would take a second
group at the start and keep it waiting while the other worker ran out of work.

xdist's own `loadgroup` reads `xdist_group` marks off the tests, but pytest-xdist 3.8.0 cannot
with pytest 9 (it renames the node ids through an attribute pytest 9 no longer reads), so
the groups are made here, from each module's text, by the scheduler below. Without xdist (a
plain `pytest` run) nothing here is used.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest

SHARED_FIXTURES = ("built_warehouse", "manifest")
"""Session fixtures too costly to make on each worker: the modules using one run on one worker
(the first fixture a module uses names its group)."""

GROUP_SECONDS = {
    "spark_cluster": 750,
    "tests/python/integration/test_spark_build.py": 750,
    "built_warehouse": 650,
    "tests/python/integration/test_published_build.py": 420,
    "tests/python/integration/test_incremental_and_reruns.py": 420,
    "tests/python/integration/test_incremental_marts.py": 350,
    "tests/python/integration/test_training_lane.py": 290,
    "tests/python/integration/test_orchestration.py": 200,
    "tests/python/integration/test_ml_features_sql.py": 120,
    "tests/python/integration/test_product_affinity.py": 140,
    "tests/python/integration/test_loyalty_feed.py": 100,
    "tests/python/integration/test_tpch_build.py": 85,
    "tests/python/integration/test_loyalty_incremental.py": 70,
    "tests/python/integration/test_monitoring.py": 65,
    "tests/python/integration/test_returns_marts.py": 60,
    "tests/python/integration/test_revenue_bridge.py": 90,
    "tests/python/integration/test_kpi_anomalies.py": 60,
}
"""Seconds each of the longest groups took in the last CI run (docs/testing.md, "Test time"),
rounded: only their order matters. A group not here counts as shorter than all of these.
The groups of 200 s and more from the session-13 pre-check (the sum of a module's phases
among the run's 40 slowest in its --durations): test_published_build.py 417 s,
test_incremental_and_reruns.py 416 s, test_incremental_marts.py 346 s, test_training_lane.py
283 s, test_orchestration.py 196 s, built_warehouse 567 s listed (test_api_on_warehouse.py's
222 s, which makes the shared build, test_superset_dashboards.py's 220 s, and the smaller
modules of the group; 650 with the unlisted ones). spark_cluster: 875 s there, less the
unit tests and seed tests it leaves to the session build since session 14 (about 130 s);
test_spark_build.py: not measured there (its load stopped), the 752 s of the former
test_spark_build_online_retail.py. The smaller groups' figures are session 12's."""

GROUP_MARK = re.compile(r"""xdist_group\(\s*(?:name\s*=\s*)?["']([^"']+)["']""")


def _uses(fixture: str) -> re.Pattern[str]:
    """A function (test or fixture) of the module that takes ``fixture`` as a parameter."""
    return re.compile(rf"\bdef\s+\w+\s*\([^)]*\b{fixture}\s*[:,)=]")


USES = {fixture: _uses(fixture) for fixture in SHARED_FIXTURES}


@functools.cache
def module_group(rootpath: Path, module: str) -> str:
    """The group of a test module (its path from the root, as in node ids): the group its
    `xdist_group` mark names, else the first of SHARED_FIXTURES that one of its functions
    takes, else the module itself."""
    path = rootpath / module
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    named = GROUP_MARK.search(text)
    if named:
        return named.group(1)
    return next((fixture for fixture in SHARED_FIXTURES if USES[fixture].search(text)), module)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """For `--dist loadgroup`: xdist's scheduling by scope (a scope's tests go whole to one
    worker), with ``module_group`` as the scope, the longest groups first (GROUP_SECONDS)
    and a worker's next group given only when it needs one."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleGroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return module_group(config.rootpath, nodeid.split("::", 1)[0])

        def _assign_work_unit(self, node: Any) -> None:
            # the longest group still waiting; among groups not in GROUP_SECONDS, the first
            longest = max(self.workqueue, key=lambda group: GROUP_SECONDS.get(group, 0))
            self.workqueue.move_to_end(longest, last=False)
            super()._assign_work_unit(node)

        def _reschedule(self, node: Any) -> None:
            # xdist gives more work when two tests are left; the worker runs a test only
            # once it knows the next, so with one test left it is waiting
            if self.workqueue and self._pending_of(self.assigned_work[node]) > 1:
                return
            super()._reschedule(node)

    return ModuleGroupScheduling(config, log)

"""`pip install .` builds a wheel that works outside the repository: installed into a clean
virtualenv (no project source on its path), run from a temporary directory, it scores a
customer with the registered models and serves the API.

To stay fast and offline-friendly, the clean virtualenv reuses the project's installed
dependencies through a .pth line (one path, so the editable install's own .pth hooks are
not run) and the wheel goes in with --no-deps; the wheel build uses pip's cache.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest

from retail_warehouse.api.server import serve_in_background

REPO = Path(__file__).resolve().parents[4]


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def clean_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the project's wheel installed and nothing from the repository."""
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy of what the wheel is made of: setuptools reuses the tree's build/
    # folder, where an earlier build's modules would go into the wheel unchanged.
    source = work / "source"
    shutil.copytree(
        REPO / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(work),
            str(source),
        ],
        cwd=work,
    )
    (wheel,) = work.glob("retail_warehouse-*.whl")
    target = work / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    purelib = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], work
    ).strip()
    dependencies = [path for path in site.getsitepackages() if Path(path).is_dir()]
    (Path(purelib) / "project_dependencies.pth").write_text("\n".join(dependencies) + "\n")
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        cwd=work,
    )
    return target


def test_the_wheel_scores_outside_the_repository(
    clean_venv: Path, warehouse_file: Path, tmp_path: Path
) -> None:
    script = (
        "import json, retail_warehouse, retail_warehouse.api.app\n"
        "from retail_warehouse.scoring import load_models, score_customer\n"
        "models = load_models()\n"
        "score = score_customer([{'invoice_id': '1', 'invoice_date': '2011-06-01',\n"
        "                         'product_amount': 120.0}], models)\n"
        "print(json.dumps({'file': retail_warehouse.__file__, 'segment': score['segment'],\n"
        "                  'cluster': score['cluster_id']}))\n"
    )
    env = {**os.environ, "DUCKDB_PATH": str(warehouse_file), "RW_SCHEMA_PREFIX": ""}
    env.pop("PYTHONPATH", None)
    output = json.loads(run([str(clean_venv / "bin" / "python"), "-c", script], tmp_path, env))
    assert Path(output["file"]).is_relative_to(clean_venv), output["file"]
    assert output["segment"] and output["cluster"] >= 1


def test_the_wheel_serves_the_api(clean_venv: Path, warehouse_file: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DUCKDB_PATH": str(warehouse_file), "RW_SCHEMA_PREFIX": ""}
    env.pop("RW_API_KEY", None)
    env.pop("PYTHONPATH", None)
    executable = clean_venv / "bin" / "retail-warehouse"
    with serve_in_background(executable, env, cwd=tmp_path) as url:
        response = httpx.get(f"{url}/health", timeout=5)
        assert response.status_code == 200, response.text
        assert response.json()["customer_count"] == 58

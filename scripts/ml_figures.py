"""Print the calibration, churn, gains and forecast-coverage tables of docs/ml.md from a built
warehouse, so the figures there are the code's, not copied by hand.

Usage: python scripts/ml_figures.py [DUCKDB_PATH]  (default $DUCKDB_PATH, else
warehouse.duckdb); the warehouse must have been built with the training lane (ml_model_evaluation
and ml_model_gains).
"""

from __future__ import annotations

import os
import sys

import duckdb
import pandas as pd

FOLDS = ("test", "validation_1", "validation_2", "mean")
PURCHASE_METHODS = (
    "blend_logistic_bgnbd",
    "blend_logistic_bgnbd_platt_latest_window",
    "blend_logistic_bgnbd_season_shift",
    "bgnbd",
)


def _table(frame: pd.DataFrame, index: str, columns: tuple[str, ...], digits: int) -> str:
    header = f"| {index} | " + " | ".join(columns) + " |"
    lines = [header, "|---|" + "---:|" * len(columns)]
    for name, row in frame.iterrows():
        values = " | ".join(
            "" if pd.isna(row.get(column)) else f"{row[column]:.{digits}f}" for column in columns
        )
        lines.append(f"| {name} | {values} |")
    return "\n".join(lines)


def main(path: str) -> None:
    connection = duckdb.connect(path, read_only=True)
    evaluation = connection.sql("select * from ml.ml_model_evaluation").df()
    gains = connection.sql("select * from ml.ml_model_gains").df()
    as_of = evaluation["as_of_date"].iloc[0]
    version = evaluation["model_version"].iloc[0]
    print(f"warehouse {path}, model_version {version}, as of {as_of}\n")
    purchase = evaluation[
        (evaluation["model"] == "purchase_next_horizon")
        & evaluation["method"].isin(PURCHASE_METHODS)
    ]
    for metric in ("brier_score", "expected_calibration_error"):
        pivot = purchase[purchase["metric"] == metric].pivot(
            index="method", columns="fold", values="value"
        )
        selected = set(purchase.loc[purchase["is_selected"], "method"])
        pivot.index = [f"**{m}** (kept)" if m in selected else m for m in pivot.index]
        print(f"purchase {metric}\n\n{_table(pivot, 'method', FOLDS, 4)}\n")
    churn = evaluation[evaluation["model"] == "churn"]
    pivot = churn.pivot_table(index=["method", "metric"], columns="fold", values="value")
    pivot.index = [f"{method} {metric}" for method, metric in pivot.index]
    print(f"churn\n\n{_table(pivot, 'method, metric', FOLDS, 4)}\n")
    top = gains[gains["decile"] == 1]
    for model in ("purchase_next_horizon", "spend_next_horizon"):
        rows = top[top["model"] == model]
        pivot = rows.pivot(index="method", columns="fold", values="lift")
        print(f"{model}: lift of decile 1\n\n{_table(pivot, 'method', FOLDS[:3], 3)}\n")
    kept = gains[(gains["model"] == "purchase_next_horizon") & gains["is_selected"]]
    kept = kept[kept["fold"] == "test"].set_index("decile")
    columns = ("mean_predicted", "observed_mean", "cumulative_gain", "lift", "cumulative_lift")
    print(f"kept purchase model, test window\n\n{_table(kept, 'decile', columns, 3)}\n")
    lifetime = evaluation[evaluation["model"] == "lifetime_value"]
    pivot = lifetime.pivot_table(index=["method", "metric"], columns="fold", values="value")
    pivot.index = [f"{method} {metric}" for method, metric in pivot.index]
    print(f"lifetime value (360-day windows)\n\n{_table(pivot, 'method, metric', FOLDS, 4)}\n")
    forecast = evaluation[
        (evaluation["model"] == "sales_forecast")
        & (evaluation["evaluation_group"] == "total")
        & (evaluation["metric"].isin(["interval_coverage", "mape_pct"]))
    ]
    pivot = forecast.pivot_table(index=["method", "metric"], columns="fold", values="value")
    pivot.index = [f"{method} {metric}" for method, metric in pivot.index]
    print(f"forecast, total\n\n{_table(pivot, 'method, metric', (*FOLDS, 'weekly_origins'), 3)}")
    origins = forecast[forecast["fold"] == "weekly_origins"]
    if len(origins):
        weeks = int(origins["observation_count"].iloc[0])
        print(f"\nweekly_origins: {weeks // 12} origins of 12 weeks")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DUCKDB_PATH", "warehouse.duckdb"))

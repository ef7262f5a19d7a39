"""A small loyalty feed with known answers, for tests and for trying the feed path.

``make_fixture`` builds ``customers.csv`` and ``transactions.csv`` in the feed format
(``retail_warehouse.sources.loyalty``, docs/loyalty.md) and says what the warehouse must make
of them: each customer's filled summary columns, the disagreements the data-quality mart must
report, and the programme totals. Hand-made customers cover every case the issue names (blank
summary columns, a customer with no transactions, a transaction of an unknown customer, a
negative balance, a value the file gets wrong, points above the earn rule, a refund); seeded
random customers add volume, with correct or blank summaries. Deterministic for a given seed.

    python -m retail_warehouse.sources.loyalty_fixture DIR [--customers N] [--seed S]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

POINTS_PER_CURRENCY_UNIT = 10
"""The earn rule the fixture's business uses (the warehouse's default,
loyalty_points_per_currency_unit)."""

UNKNOWN_CUSTOMER_ID = 999_999
"""A user_id that transactions.csv has and customers.csv lacks."""


@dataclass(frozen=True)
class Transaction:
    """One line of transactions.csv: value in cents, points earned minus spent."""

    user_id: int
    day: dt.date
    value_cents: int
    point_differential: int


@dataclass(frozen=True)
class CustomerLine:
    """One line of customers.csv; ``None`` writes a blank."""

    customer_id: int
    signup_date: dt.date
    number_of_purchases: int | None
    value_of_purchases_cents: int | None
    total_standard_points: int | None
    total_points_redeemed: int | None


@dataclass(frozen=True)
class Expected:
    """What the warehouse must compute for one customer (int_loyalty_customers_filled)."""

    number_of_purchases: int
    value_of_purchases: Decimal
    total_standard_points: int
    total_points_redeemed: int
    computed_total_standard_points: int


@dataclass
class Fixture:
    """Both files' lines and the answers."""

    customers: list[CustomerLine] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    expected: dict[int, Expected] = field(default_factory=dict)
    discrepancies: set[tuple[str, int]] = field(default_factory=set)
    """``(check_name, customer_id)`` of every row mart_loyalty_feed_discrepancies must hold."""

    def customers_csv(self) -> str:
        """customers.csv as text."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "id",
                "signup_date",
                "number_of_purchases",
                "value_of_purchases",
                "total_standard_points",
                "total_points_redeemed",
            ]
        )
        for line in self.customers:
            writer.writerow(
                [
                    line.customer_id,
                    line.signup_date.isoformat(),
                    *(
                        "" if value is None else value
                        for value in (
                            line.number_of_purchases,
                            line.value_of_purchases_cents,
                            line.total_standard_points,
                            line.total_points_redeemed,
                        )
                    ),
                ]
            )
        return out.getvalue()

    def transactions_csv(self) -> str:
        """transactions.csv as text."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["user_id", "date", "value", "point_differential"])
        for item in self.transactions:
            writer.writerow(
                [item.user_id, item.day.isoformat(), item.value_cents, item.point_differential]
            )
        return out.getvalue()

    def write(self, folder: Path) -> Path:
        """Write both files into ``folder`` (created if needed); returns the folder."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "customers.csv").write_text(self.customers_csv(), encoding="utf-8")
        (folder / "transactions.csv").write_text(self.transactions_csv(), encoding="utf-8")
        return folder

    @property
    def known_transactions(self) -> list[Transaction]:
        """The transactions of customers that customers.csv lists."""
        known = {line.customer_id for line in self.customers}
        return [item for item in self.transactions if item.user_id in known]


def earned_points(value_cents: int) -> int:
    """Points a purchase of ``value_cents`` earns: floor(value x 10) = floor(cents / 10)."""
    return value_cents * POINTS_PER_CURRENCY_UNIT // 100 if value_cents > 0 else 0


def _customer(
    fixture: Fixture,
    customer_id: int,
    signup: dt.date,
    moves: Sequence[tuple[dt.date, int, int]],
    file_columns: Sequence[int | None] | None,
) -> None:
    """Add a customer and its transactions. ``moves`` are ``(day, value_cents,
    points_redeemed)`` of ordinary purchases, refunds (negative value, the points of the
    value reversed) and redemptions (value 0). ``file_columns`` are the four summary
    columns as the file gives them (``None`` = blank; ``None`` for the list = the correct
    values); the expected values are computed from the moves."""
    purchases = value = standard = redeemed = 0
    for day, value_cents, points_redeemed in moves:
        if value_cents > 0:
            differential = earned_points(value_cents) - points_redeemed
            purchases += 1
            value += value_cents
        elif value_cents < 0:
            differential = -earned_points(-value_cents)
        else:
            differential = -points_redeemed
        redeemed += points_redeemed
        standard += differential
        fixture.transactions.append(Transaction(customer_id, day, value_cents, differential))
    computed = [purchases, value, standard, redeemed]
    given = computed if file_columns is None else list(file_columns)
    fixture.customers.append(CustomerLine(customer_id, signup, *given))
    filled = [computed[i] if given[i] is None else given[i] for i in range(4)]
    fixture.expected[customer_id] = Expected(
        number_of_purchases=int(filled[0]),
        value_of_purchases=Decimal(int(filled[1])) / 100,
        total_standard_points=int(filled[2]),
        total_points_redeemed=int(filled[3]),
        computed_total_standard_points=standard,
    )
    checks = ("number_of_purchases", "value_of_purchases", "total_standard_points")
    for name, file_value, right in zip(
        (*checks, "total_points_redeemed"), given, computed, strict=True
    ):
        if file_value is not None and file_value != right:
            fixture.discrepancies.add((name, customer_id))
    if standard < 0:
        fixture.discrepancies.add(("negative_balance", customer_id))


def make_fixture(random_customers: int = 20, seed: int = 14) -> Fixture:
    """The hand-made cases plus ``random_customers`` seeded ones (ids 1..n)."""
    fixture = Fixture()
    day = dt.date
    # 101: every summary column given and right; a purchase, a purchase with a redemption
    # of 1,000 points, and a refund of 20.00 (200 points back).
    _customer(
        fixture,
        101,
        day(2020, 12, 1),
        [(day(2021, 1, 5), 12345, 0), (day(2021, 2, 10), 5000, 1000), (day(2021, 3, 1), -2000, 0)],
        None,
    )
    # 102: every summary column blank: all filled from one purchase of 9.99.
    _customer(fixture, 102, day(2021, 1, 2), [(day(2021, 1, 15), 999, 0)], [None] * 4)
    # 103: the file says 500 standard points, the transactions give 300; purchases blank.
    _customer(fixture, 103, day(2021, 1, 3), [(day(2021, 2, 1), 3000, 0)], [None, 3000, 500, 0])
    # 104: no transactions at all, summary blank: zeros.
    _customer(fixture, 104, day(2021, 1, 4), [], [None] * 4)
    # 105: redeems 300 points with 100 earned: a negative balance (-200).
    _customer(
        fixture,
        105,
        day(2021, 1, 5),
        [(day(2021, 1, 20), 1000, 0), (day(2021, 1, 25), 0, 300)],
        [1, 1000, None, 300],
    )
    # 106: 150 points for a purchase of 10.00 (the rule gives 100): above the earn rule.
    fixture.customers.append(CustomerLine(106, day(2021, 1, 6), None, None, None, None))
    fixture.transactions.append(Transaction(106, day(2021, 2, 14), 1000, 150))
    fixture.expected[106] = Expected(1, Decimal("10.00"), 150, 0, 150)
    fixture.discrepancies.add(("differential_above_earn_rule", 106))
    # A transaction of a customer customers.csv does not list.
    fixture.transactions.append(Transaction(UNKNOWN_CUSTOMER_ID, day(2021, 2, 2), 500, 50))
    fixture.discrepancies.add(("unknown_customer", UNKNOWN_CUSTOMER_ID))

    generator = random.Random(seed)
    for customer_id in range(1, random_customers + 1):
        signup = day(2021, 1, 1) + dt.timedelta(days=generator.randrange(60))
        moves, balance, when = [], 0, signup
        for _ in range(generator.randrange(0, 8)):
            when += dt.timedelta(days=generator.randrange(1, 40))
            value_cents = generator.randrange(100, 50_000)
            spend = generator.choice([0, 0, balance // 2]) if balance > 0 else 0
            moves.append((when, value_cents, spend))
            balance += earned_points(value_cents) - spend
        blanks = [None if generator.random() < 0.4 else 0 for _ in range(4)]
        _customer(fixture, customer_id, signup, moves, None)
        line = fixture.customers[-1]
        fixture.customers[-1] = CustomerLine(
            line.customer_id,
            line.signup_date,
            *(
                None if blank is None else value
                for blank, value in zip(
                    blanks,
                    (
                        line.number_of_purchases,
                        line.value_of_purchases_cents,
                        line.total_standard_points,
                        line.total_points_redeemed,
                    ),
                    strict=True,
                )
            ),
        )
    fixture.transactions.sort(key=lambda item: (item.day, item.user_id))
    return fixture


def main(argv: Sequence[str] | None = None) -> int:
    """Write a fixture feed into a folder."""
    parser = argparse.ArgumentParser(description="Write a loyalty feed with known answers.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--customers", type=int, default=20, help="random customers (20)")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    fixture = make_fixture(args.customers, args.seed)
    fixture.write(args.folder)
    print(
        f"wrote {args.folder}/customers.csv ({len(fixture.customers)} customers) and "
        f"transactions.csv ({len(fixture.transactions)} transactions)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

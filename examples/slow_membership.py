"""Find the customers who ordered in both months: a membership test against a list inside a loop (quadratic)."""

from __future__ import annotations

import csv
import sys


def read_customers(path: str) -> list[str]:
    with open(path, newline="") as fh:
        return [row["customer_id"] for row in csv.DictReader(fh)]


def returning_customers(last_month: list[str], this_month: list[str]) -> list[str]:
    seen = [c for c in last_month]
    returning = []
    for customer in this_month:
        # `in` on a list scans it every time: O(len(seen)) per customer.
        if customer in seen and customer not in returning:
            returning.append(customer)
    return returning


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: slow_membership.py LAST_MONTH.csv THIS_MONTH.csv", file=sys.stderr)
        return 2
    for customer in returning_customers(read_customers(argv[1]), read_customers(argv[2])):
        print(customer)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

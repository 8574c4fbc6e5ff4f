"""Benchmark: reading huge, hostile issue bodies. Prints one JSON object per line.

    python bench/intake.py                 # sizes 25,000 / 50,000 / 100,000
    python bench/intake.py --sizes 2000    # a quick run

Each case is a body built to make a careless parser quadratic (the shapes of
``tests/test_intake.py::test_huge_bodies_are_read``, which checks what they read as; at size
100,000 they are the bodies of that test). ``seconds`` is one ``parse_body`` against the
fault form plus one ``detect_form``; from one size to the next it should grow about as the
body does (``chars``), not faster::

    {"bench": "intake", "case": "closing-fences", "size": 100000, "chars": 400010, "seconds": ...}

The policy is the forms fixture of the tests (``tests/fixtures/forms/tracker.yml``).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from tracker.config import parse_config
from tracker.intake import detect_form, parse_body

BENCH = "intake"
POLICY = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "forms" / "tracker.yml"
CHUNK = "```a\n### 问题概述\n~~~\n### 所属产品\n- [X] 支付\n" + " " * 50 + "x\n"


def body_of(sections: dict[str, str]) -> str:
    return "\n\n".join(f"### {label}\n\n{answer}" for label, answer in sections.items())


# case -> body of a given size (the size counts repeats of the case's unit)
CASES: dict[str, Callable[[int], str]] = {
    "unclosed-fences": lambda n: CHUNK * (n * 2 // 5),  # many fences, none of which closes
    "closing-fences": lambda n: "### 问题概述\n\n" + "```\n" * n,  # fences that all close each other
    "long-heading": lambda n: "### " + " " * (n * 3) + "x\n\n" + "1," * n,
    "long-choice-list": lambda n: body_of({"所属产品": "网站", "影响地区": "华北," * n}),
    "long-number-and-date": lambda n: body_of({"受影响用户数": "1" * (n * 3), "开始时间": "2026-" * (n * 3 // 5)}),
}


def run(sizes: list[int]) -> list[dict[str, object]]:
    cfg = parse_config(yaml.safe_load(POLICY.read_text(encoding="utf-8")))
    rows: list[dict[str, object]] = []
    for case, build in CASES.items():
        for size in sizes:
            body = build(size)
            start = time.perf_counter()
            parse_body(body, cfg, form_id="fault")
            detect_form(body, [], cfg)
            seconds = time.perf_counter() - start
            rows.append({"bench": BENCH, "case": case, "size": size, "chars": len(body), "seconds": round(seconds, 3)})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="25000,50000,100000",
        help="comma-separated sizes (default 25000,50000,100000; 100000 is the test's)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    for row in run(sizes):
        print(json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()

"""SVG charts: well formed, accessible, inert with hostile labels, deterministic."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from tracker.charts import (
    bar_chart,
    fmt_number,
    line_chart,
    nice_ticks,
    stacked_bar_chart,
    text_width,
)

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = [
    "<script>alert(1)</script>",
    '"onload=alert(1) x="',
    "' onmouseover='alert(1)",
    "a & b ]]> <![CDATA[",
    '<a href="https://evil.example">x</a>',
    "@import url(https://evil.example/x.css);",
    "nul\x00 and bell\x07",
]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def assert_safe(svg: str) -> None:
    """No script, no event handler, no link or style that reaches outside the element."""
    root = parse(svg)
    for el in root.iter():
        assert not el.tag.lower().endswith(("script", "style", "foreignobject", "a", "image")), el
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), name
            assert "href" not in name.lower()
            assert "url(" not in value or value.startswith("url(#")
    assert "<script" not in svg.lower()
    assert "href=" not in svg
    assert "@import" not in svg
    assert not re.search(r"url\((?!#)", svg)


def assert_accessible(svg: str, title: str) -> None:
    root = parse(svg)
    assert root.get("role") == "img"
    children = list(root)
    assert children[0].tag == f"{NS}title" and children[0].text == title
    assert children[1].tag == f"{NS}desc" and children[1].text
    ids = root.get("aria-labelledby", "").split()
    assert ids == [children[0].get("id"), children[1].get("id")]
    assert root.get("font-family") == "sans-serif"


SAMPLES = {
    "bar": lambda labels, values: bar_chart(list(zip(labels, values, strict=True)), title="T"),
    "stacked": lambda labels, values: stacked_bar_chart(
        labels, [("a", values), ("b", [v / 2 for v in values])], title="T"
    ),
    "line": lambda labels, values: line_chart(
        labels, [("a", values), ("b", list(reversed(values)))], title="T"
    ),
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
@pytest.mark.parametrize("n", [0, 1, 2, 60])
def test_well_formed_for_zero_one_and_many_values(kind: str, n: int) -> None:
    labels = [f"第{i}周" for i in range(n)]
    values = [float(i * 3 % 7) for i in range(n)]
    svg = SAMPLES[kind](labels, values)
    assert_accessible(svg, "T")
    assert_safe(svg)
    assert "nan" not in svg.lower() and "inf" not in svg.lower()


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_all_zero_values_do_not_divide_by_zero(kind: str) -> None:
    svg = SAMPLES[kind](["a", "b"], [0.0, 0.0])
    parse(svg)
    assert "nan" not in svg.lower()


def test_empty_charts_say_so() -> None:
    assert "没有数据" in bar_chart([], title="空", empty="没有数据")
    assert "no data" in stacked_bar_chart(["a"], [], title="x")
    assert "no data" in line_chart(["W01"], [("a", [None])], title="x")


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_are_escaped_everywhere(label: str) -> None:
    charts = [
        bar_chart([(label, 1), ("ok", 2)], title=label, unit=label),
        stacked_bar_chart([label], [(label, [1])], title=label, unit=label),
        line_chart([label, "b"], [(label, [1, 2])], title=label, unit=label),
    ]
    for svg in charts:
        assert_safe(svg)
        root = parse(svg)
        title = root.find(f"{NS}title")
        assert title is not None and title.text == label.replace("\x00", "").replace("\x07", "")


def test_hostile_colours_are_refused() -> None:
    svg = stacked_bar_chart(
        ["a"], [("x", [1]), ("y", [2])], title="t", colors=["url(https://e.example/#f)", "red"]
    )
    assert_safe(svg)
    assert "url(" not in svg and "red" not in svg
    assert 'fill="url' not in bar_chart([("a", 1)], title="t", color="url(#x)")


def test_cjk_labels_are_kept_and_measured() -> None:
    svg = bar_chart([("场地预订", 3), ("会员", 1)], title="按分类", unit="件")
    root = parse(svg)
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "场地预订" in texts and "3件" in texts
    assert text_width("场地预订") == 4 * 12
    assert text_width("abcd") == pytest.approx(4 * 0.6 * 12)


def test_long_labels_are_cut_with_an_ellipsis_but_kept_in_the_tooltip() -> None:
    long = "非常非常非常非常非常非常非常非常非常非常长的分类名称"
    root = parse(bar_chart([(long, 1)], title="t", width=300))
    shown = [t.text for t in root.iter(f"{NS}text") if t.text and t.text.startswith("非常")]
    assert shown and shown[0].endswith("…") and len(shown[0]) < len(long)
    tips = [t.text for g in root.iter(f"{NS}g") for t in g.iter(f"{NS}title")]
    assert f"{long}: 1" in tips


def test_bar_lengths_are_proportional() -> None:
    root = parse(bar_chart([("a", 4), ("b", 2), ("c", 0)], title="t"))
    widths = [float(r.get("width", "0")) for g in root.iter(f"{NS}g") for r in g.iter(f"{NS}rect")]
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.1)
    assert widths[2] == 0


def test_negative_and_non_finite_values() -> None:
    svg = bar_chart(
        [("down", -3), ("up", 3), ("x", math.nan), ("y", math.inf)], title="Δ", unit="%"
    )
    root = parse(svg)
    assert "-3%" in [t.text for t in root.iter(f"{NS}text")]
    assert "nan" not in svg.lower() and "inf" not in svg.lower()
    rects = [r for g in root.iter(f"{NS}g") for r in g.iter(f"{NS}rect")]
    down, up = rects[0], rects[1]
    assert float(down.get("x", "0")) + float(down.get("width", "0")) == pytest.approx(
        float(up.get("x", "0")), abs=0.1
    )


def test_stacked_totals_and_segments() -> None:
    root = parse(
        stacked_bar_chart(
            ["通知", "方案"], [("达成", [3, 1]), ("超时", [1, 0])], title="SLA", unit="次"
        )
    )
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "4次" in texts and "1次" in texts
    tips = [t.text for g in root.iter(f"{NS}g") for t in g.iter(f"{NS}title")]
    assert tips == ["通知 · 达成: 3次", "通知 · 超时: 1次", "方案 · 达成: 1次"]  # no zero segment


def test_line_gaps_and_single_point() -> None:
    root = parse(line_chart(["W01", "W02", "W03", "W04"], [("a", [1, 2, None, 4])], title="t"))
    lines = list(root.iter(f"{NS}polyline"))
    assert len(lines) == 1 and len(lines[0].get("points", "").split()) == 2
    assert len(list(root.iter(f"{NS}circle"))) == 3
    one = parse(line_chart(["W01"], [("a", [5])], title="t", width=400))
    (circle,) = one.iter(f"{NS}circle")
    assert 150 < float(circle.get("cx", "0")) < 250  # centred


def test_many_x_labels_are_thinned() -> None:
    labels = [f"2024-W{i:02d}" for i in range(1, 53)]
    root = parse(line_chart(labels, [("a", list(range(52)))], title="t", width=640))
    shown = [t.text for t in root.iter(f"{NS}text") if t.text and t.text.startswith("2024-W")]
    assert 2 <= len(shown) < 20
    assert shown[0] == "2024-W01"


def test_deterministic_output() -> None:
    def make() -> list[str]:
        return [
            bar_chart([("甲", 1.25), ("乙", 2 / 3)], title="t", unit="h"),
            stacked_bar_chart(["a"], [("x", [1.5])], title="t"),
            line_chart(["a", "b"], [("x", [0.1, 0.2])], title="t"),
        ]

    assert make() == make()
    first = make()[0]
    assert "1.3h" in first or "1.2h" in first  # one decimal, fixed
    assert "0.7h" in first


def test_distinct_charts_get_distinct_ids() -> None:
    a = parse(bar_chart([("a", 1)], title="one"))
    b = parse(bar_chart([("a", 1)], title="two"))
    assert a.get("aria-labelledby") != b.get("aria-labelledby")


def test_number_formatting_and_ticks() -> None:
    assert [fmt_number(v) for v in (3, 3.0, 2.5, -0.0, 1 / 3, math.nan)] == [
        "3",
        "3",
        "2.5",
        "0",
        "0.3",
        "0",
    ]
    assert nice_ticks(0, 7) == [0, 2, 4, 6, 8]
    assert nice_ticks(0, 0) == [0, 0.5, 1]
    assert nice_ticks(-3, 12) == [-5, 0, 5, 10, 15]
    assert nice_ticks(0, 1234) == [0, 500, 1000, 1500]

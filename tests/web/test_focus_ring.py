"""The focus ring's contrast (WCAG 2.2, 1.4.11: at least 3:1 against what it sits on): the
page's ring on the white page, the header's on the blue header (issue 23: it was 1.64:1)."""

from __future__ import annotations

import re
from pathlib import Path

STYLE = (Path(__file__).resolve().parents[2] / "dialer" / "web" / "static" / "style.css").read_text(
    encoding="utf-8"
)


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def rule(selector: str) -> str:
    found = re.search(rf"(?m)^{re.escape(selector)} \{{([^}}]*)\}}", STYLE)
    assert found, selector
    return found.group(1)


def colour(declarations: str, prop: str) -> str:
    found = re.search(rf"{prop}:[^;#]*(#[0-9a-fA-F]{{6}}|#[0-9a-fA-F]{{3}})\b", declarations)
    assert found, (prop, declarations)
    value = found.group(1)
    return value if len(value) == 7 else "#" + "".join(c * 2 for c in value[1:])


def test_the_focus_ring_stands_out_3_to_1_on_the_page_and_in_the_header() -> None:
    page = colour(rule("body"), "background")
    header = colour(STYLE[STYLE.index(":root") :], "--bleu")
    ring = colour(rule(":focus-visible"), "outline")
    header_ring = colour(rule(".bandeau :focus-visible"), "outline-color")
    assert contrast(ring, page) >= 3
    assert contrast(header_ring, header) >= 3
    assert contrast("#ffbf47", "#ffffff") < 3  # the old ring on the page

"""The status page in headless Chromium, as a user sees it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Chromium without a display, as root, and without the calls home that a test has no use for."""
MIN_WINDOW_WIDTH = 500
"""Headless Chromium makes no window narrower than this: a phone's width is emulated instead."""


@contextmanager
def headless_chromium(width: int = 1600, height: int = 1200) -> Iterator[Any]:
    """A selenium-driven headless Chromium in a fresh profile, removed afterwards; skips the test if not installed."""
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip("Chromium is not installed: `make setup` installs the packages chromium and chromium-driver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cta-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (*CHROMIUM_FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(argument)
    browser = webdriver.Chrome(options=options, service=Service(chromedriver))
    if width < MIN_WINDOW_WIDTH:  # a phone: its viewport emulated, as DevTools' device mode does
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True}
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class PageView:
    """What the status page shows in the browser, read in one go (so that all of it is of one moment)."""

    live: str
    """The ``#live`` badge: connecting, live or reconnecting."""
    stream: dict[str, int]
    """The script's counters (``#live``'s data-*): opens, errors, reopened, snapshots, sequence."""
    moves: int
    """Trains that glided on the map to a new platform."""
    stations: dict[str, dict[int, str]]
    """Per line, the rows of its table: station id -> name."""
    entries: dict[int, int]
    """The stations whose row shows a turnstile total, with it."""
    at_platforms: dict[str, set[str]]
    """Per line, the trains its table shows at a platform."""
    on_map: dict[str, set[str]]
    """Per line, the trains drawn on the map."""
    weather: str
    """The weather's status, empty while there is none."""
    marked: bool
    """Whether ``window.testMark`` is still set: the page has not been loaded again since it was set."""


PAGE_VIEW = """
const live = document.getElementById("live");
const lines = {};
for (const article of document.querySelectorAll("article[data-line]")) {
  lines[article.dataset.line] = [...article.querySelectorAll("tbody tr")].map((row) => [
    Number(row.dataset.station),
    row.querySelector("td.name").textContent,
    row.querySelector("td.entries").textContent,
    [...row.querySelectorAll(".train")].map((pill) => pill.textContent),
  ]);
}
const markers = [...document.querySelectorAll("#trains .train-marker")].map((m) => [m.classList[1], m.dataset.train]);
return {
  live: live.textContent,
  stream: { ...live.dataset },
  moves: Number(document.getElementById("map").dataset.moves || 0),
  lines,
  markers,
  weather: document.getElementById("weather").dataset.status,
  marked: window.testMark === true,
};
"""


def page_view(browser: Any) -> PageView:
    raw = browser.execute_script(PAGE_VIEW)
    rows = raw["lines"]
    on_map: dict[str, set[str]] = {color: set() for color in rows}
    for color, train in raw["markers"]:
        on_map.setdefault(color, set()).add(train)
    return PageView(
        live=raw["live"],
        stream={name: int(value) for name, value in raw["stream"].items() if value != ""},
        moves=raw["moves"],
        stations={color: {row[0]: row[1] for row in line} for color, line in rows.items()},
        entries={row[0]: int(row[2].replace(",", "")) for line in rows.values() for row in line if row[2]},
        at_platforms={color: {train for row in line for train in row[3]} for color, line in rows.items()},
        on_map=on_map,
        weather=raw["weather"],
        marked=raw["marked"],
    )

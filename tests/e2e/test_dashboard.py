"""The offline dashboard in headless Chromium: no console error, no network, every chart drawn.

Chromium is driven over the DevTools protocol with a small client on `websockets` (already a
dependency of the Dagster webserver), so no driver download is needed. The full-page screenshot
is kept as a test artifact (and copied to /tmp/dashboard-shot.png); the pixel check decodes that
very PNG in a canvas and counts coloured pixels inside every chart's box.
`make browser` installs Chromium (Debian package) and a CJK font.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import (  # tests/ is on sys.path (rootdir conftest)
    sample_warehouse,
    tiny_warehouse,
)
from websockets.sync.client import ClientConnection, connect

from govdw.reports.dashboard import write_dashboard

SHOT_COPY = Path("/tmp/dashboard-shot.png")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Pixels of a clear colour (max − min channel > 60) a drawn chart has at least: lines, bars and
#: heatmap cells are coloured, while an empty chart is white, grey grid lines and black text.
MIN_COLOURED_PIXELS = 400


def _chromium() -> str | None:
    explicit = os.environ.get("GOVDW_CHROMIUM")
    if explicit:
        return explicit
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


class Cdp:
    """A minimal DevTools-protocol client: one page session on the browser's websocket."""

    def __init__(self, ws: ClientConnection) -> None:
        """Open a blank page on the browser connection `ws` and attach to it."""
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]

    def call(self, method: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        """Send one command and return its result; events seen meanwhile are kept."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> dict[str, Any]:
        """The first event named `method` (already received or arriving within `timeout`)."""
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while time.monotonic() < deadline:
            event = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            self.events.append(event)
            if event.get("method") == method:
                return event
        raise TimeoutError(method)

    def evaluate(self, expression: str, timeout: float = 60) -> Any:
        """The value of a JS expression (promises awaited)."""
        result = self.call(
            "Runtime.evaluate",
            timeout=timeout,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(json.dumps(result["exceptionDetails"], ensure_ascii=False))
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors seen so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append("console: " + " ".join(str(a.get("value")) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append("exception: " + json.dumps(details, ensure_ascii=False)[:500])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url')}")
        return found

    def requests(self) -> list[str]:
        """URLs the page asked for."""
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cdp]:
    """Headless Chromium with a fresh profile, network features off; skipped if not installed."""
    binary = _chromium()
    if binary is None:
        pytest.skip("chromium not found: run `make browser` (apt-get install chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    # Chromium writes the port it picked and the browser endpoint path into the profile.
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 60
    while not port_file.is_file() or len(port_file.read_text().split()) < 2:
        if process.poll() is not None or time.monotonic() > deadline:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            process.kill()
            pytest.fail(f"chromium did not start (exit {process.returncode}):\n{err[-2000:]}")
        time.sleep(0.1)
    port, path = port_file.read_text().split()[:2]
    try:
        # proxy=None: the debugging port is local; never route it through an HTTP(S)_PROXY.
        with connect(
            f"ws://127.0.0.1:{port}{path}", proxy=None, max_size=None, open_timeout=30
        ) as ws:
            yield Cdp(ws)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


#: Every plotly chart: its box on the page and how many marks (lines, bars, heatmap images,
#: markers) its SVG holds.
CHARTS_JS = """
Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => {
  const r = d.getBoundingClientRect();
  const marks = d.querySelectorAll(
    '.scatterlayer path.js-line, .scatterlayer path.js-fill, .scatterlayer path.point,'
    + ' .barlayer path, .heatmaplayer image').length;
  return {id: d.id, x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height,
          svg: !!d.querySelector('svg.main-svg'), traces: (d._fullData || []).length, marks};
})
"""

#: Decode a PNG (data URL) in a canvas and count clearly coloured pixels in each box.
PIXELS_JS = """
(async (png, boxes) => {
  const img = new Image();
  img.src = png;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.drawImage(img, 0, 0);
  return boxes.map(b => {
    const w = Math.max(1, Math.floor(b.width)), h = Math.max(1, Math.floor(b.height));
    const data = ctx.getImageData(Math.floor(b.x), Math.floor(b.y), w, h).data;
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) {
      const mx = Math.max(data[i], data[i + 1], data[i + 2]);
      const mn = Math.min(data[i], data[i + 1], data[i + 2]);
      if (mx - mn > 60) coloured++;
    }
    return {id: b.id, coloured, size: [img.naturalWidth, img.naturalHeight]};
  });
})
"""


@pytest.mark.slow
def test_dashboard_renders_offline_without_errors(
    browser: Cdp, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every chart is drawn (SVG marks and coloured pixels in the screenshot), no console
    error, and the page asks for nothing but its own file."""
    page = write_dashboard(sample_warehouse(tmp_path_factory), tmp_path / "dashboard.html")
    text = page.read_text(encoding="utf-8")
    # plotly.js is inline: no tag loads anything (the URLs inside plotly.min.js are never used,
    # which the network check below confirms).
    assert not re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=", text)
    declared = re.search(r'name="govdw-charts" content="(\d+)"', text)
    assert declared and text.count("Plotly.newPlot(") == int(declared.group(1))
    for label in ("受理量", "办结率", "满意率", "同比", "已隔离的文件", "合计数核对不一致"):
        assert label in text

    cdp = browser
    for domain in ("Page", "Runtime", "Log", "Network"):
        cdp.call(f"{domain}.enable")
    cdp.call(
        "Emulation.setDeviceMetricsOverride",
        width=1400,
        height=900,
        deviceScaleFactor=1,
        mobile=False,
    )
    cdp.events.clear()
    cdp.call("Page.navigate", url=page.as_uri())
    cdp.wait_for("Page.loadEventFired", timeout=120)
    expected = int(cdp.evaluate("document.querySelector('meta[name=govdw-charts]').content"))
    assert expected >= 8, "the sample has data for every section"

    deadline = time.monotonic() + 60
    charts: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        charts = cdp.evaluate(CHARTS_JS)
        if len(charts) == expected and all(c["svg"] and c["marks"] > 0 for c in charts):
            break
        time.sleep(0.5)
    assert len(charts) == expected
    undrawn = [c for c in charts if not (c["svg"] and c["traces"] > 0 and c["marks"] > 0)]
    assert not undrawn, f"charts without drawn traces: {undrawn}"

    # Full-page screenshot, then the pixel check on that very image.
    height = int(cdp.evaluate("document.documentElement.scrollHeight"))
    shot = cdp.call(
        "Page.captureScreenshot",
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": 1400, "height": height, "scale": 1},
    )["data"]
    artifact = tmp_path / "dashboard.png"
    artifact.write_bytes(base64.b64decode(shot))
    shutil.copyfile(artifact, SHOT_COPY)
    assert artifact.stat().st_size > 50_000

    errors = cdp.errors()
    foreign = [u for u in cdp.requests() if not u.startswith(("file:", "data:", "blob:"))]
    cdp.events.clear()
    cdp.call("Page.navigate", url="about:blank")
    cdp.wait_for("Page.frameStoppedLoading")
    pixels = cdp.evaluate(
        f"({PIXELS_JS})('data:image/png;base64,{shot}', {json.dumps(charts)})", timeout=120
    )
    blank = [p for p in pixels if p["coloured"] < MIN_COLOURED_PIXELS]
    assert pixels[0]["size"][1] >= max(c["y"] + c["height"] for c in charts) - 1
    assert not blank, f"charts blank in the screenshot {artifact}: {blank}"
    assert not errors, f"console errors: {errors}"
    assert not foreign, f"the page reached for the network: {foreign}"


def test_dashboard_sections_escape_and_optional_warnings(tmp_path: Path) -> None:
    """On a tiny warehouse: Chinese labels, text from files escaped, warnings listed only when
    audit_files has the column, every figure declared in the page's meta tag."""
    plain = write_dashboard(tiny_warehouse(tmp_path / "a.duckdb"), tmp_path / "a" / "d.html")
    text = plain.read_text(encoding="utf-8")
    for label in ("各地区同比趋势", "跨地区排名", "承办单位记分卡", "诉求类别趋势", "数据质量"):
        assert f"<h2>{label}</h2>" in text
    assert "640522/坏&lt;b&gt;文件&lt;/b&gt;.xlsx" in text and "<b>文件</b>" not in text
    assert "the xlsx is damaged: re-export it" in text
    assert "合计数核对不一致（1 处）" in text
    assert "带警告的文件" not in text
    declared = re.search(r'name="govdw-charts" content="(\d+)"', text)
    assert declared and int(declared.group(1)) == text.count("Plotly.newPlot(") >= 6
    assert not list(plain.parent.glob(".dashboard-*"))  # the temp file was renamed

    warned = tiny_warehouse(tmp_path / "b.duckdb", warnings=True)
    text = write_dashboard(warned, tmp_path / "b.html").read_text(encoding="utf-8")
    assert "带警告的文件（1 个）" in text and "missing optional column 办结时间" in text


def test_dashboard_of_an_empty_warehouse_says_so(tmp_path: Path) -> None:
    """Tables without rows give a page with a note per section, not an error."""
    empty = tiny_warehouse(tmp_path / "e.duckdb", empty=True)
    text = write_dashboard(empty, tmp_path / "e.html").read_text(encoding="utf-8")
    assert 'content="0"' in text and "Plotly.newPlot(" not in text
    assert text.count("暂无数据") >= 4
    assert "没有被隔离的文件。" in text

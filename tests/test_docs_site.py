"""The documentation site: it builds without a warning, its links resolve, its pages render in
a real browser, and what it states stays in step with the code and the committed results.

The examples themselves run through Sybil (the top-level conftest.py). Outside CI, tests that
need the documentation's requirements (docs/requirements.txt) or Chromium skip, saying why;
in CI (CI set) they fail instead.
"""

import functools
import html.parser
import http.server
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest

import tfnpy

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def need(ok, reason):
    """Skip without ok, or fail in CI, where everything this module needs is installed."""
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI installs it: see .ci/run)")
        pytest.skip(reason)


def need_modules(*names):
    missing = [n for n in names if importlib.util.find_spec(n) is None]
    need(not missing, f"{', '.join(missing)} not installed: pip install -r docs/requirements.txt")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built once for this module with warnings as errors and nitpicky references."""
    need_modules("sphinx", "myst_parser", "furo")
    out = tmp_path_factory.mktemp("site") / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-n", "-W", "--keep-going", "-q",
         "-d", str(out.parent / "doctrees"), str(DOCS), str(out)],
        capture_output=True, text=True, timeout=900, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stderr[-6000:]}"
    return out


def test_site_builds_with_the_package_version(site):
    front = (site / "index.html").read_text()
    assert f"tfnpy <strong>{tfnpy.__version__}</strong>" in front
    assert f"<title>tfnpy {tfnpy.__version__}</title>" in front
    api = (site / "api" / "index.html").read_text()
    # Every public name has its entry (autodoc gives it an id of its full name).
    for name in PUBLIC:
        assert f'id="{name}"' in api, name


class _Page(html.parser.HTMLParser):
    """The ids of a page, and the links and resources it refers to."""

    def __init__(self):
        super().__init__()
        self.ids, self.refs = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        for attr in ("href", "src"):
            if attrs.get(attr):
                self.refs.append((tag, attrs[attr]))


def test_internal_links_and_anchors_resolve(site):
    pages = {}
    for path in site.rglob("*.html"):
        page = _Page()
        page.feed(path.read_text())
        pages[path] = page
    broken, remote = [], []
    for path, page in pages.items():
        for tag, ref in page.refs:
            url = urllib.parse.urlsplit(ref)
            if url.scheme or ref.startswith("//"):
                if tag != "a":  # a resource fetched from elsewhere: the site must work offline
                    remote.append(f"{path.relative_to(site)}: <{tag}> {ref}")
                continue
            target = (path.parent / urllib.parse.unquote(url.path)).resolve() if url.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{path.relative_to(site)}: {ref} (no such file)")
            elif url.fragment and target.suffix == ".html" and url.fragment not in pages[target].ids:
                broken.append(f"{path.relative_to(site)}: {ref} (no such anchor)")
    assert not broken, "\n".join(broken)
    assert not remote, "\n".join(remote)
    assert len(pages) >= 20, sorted(p.name for p in pages)


# Every public function: the package's __all__ and tfnpy.data's, so new ones are covered.
PUBLIC = sorted(
    [f"tfnpy.{n}" for n in tfnpy.__all__ if n not in ("data", "__version__")]
    + [f"tfnpy.data.{n}" for n in __import__("tfnpy.data", fromlist=["__all__"]).__all__]
)


def _resolve(name):
    obj = tfnpy
    for part in name.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("name", [n for n in PUBLIC if not inspect.isclass(_resolve(n))])
def test_every_parameter_is_described(name):
    """Args: of each public function names exactly its parameters (the reference shows them)."""
    need_modules("sphinx")
    from sphinx.ext.napoleon import Config
    from sphinx.ext.napoleon.docstring import GoogleDocstring

    function = _resolve(name)
    lines = str(GoogleDocstring(inspect.getdoc(function), Config(napoleon_use_param=True))).splitlines()
    described = set()
    for line in lines:
        match = re.match(r":param ([^:]+):", line)
        if match:
            described.update(p.strip().lstrip("*") for p in match.group(1).split(","))
    parameters = set(inspect.signature(function).parameters)
    assert parameters - described == set(), f"{name}: parameters without a description"
    assert described - parameters == set(), f"{name}: described but not parameters"
    assert ">>>" in function.__doc__, f"{name}: no example"


def _readme_table():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- benchmark-table -->")[1].split("<!-- /benchmark-table -->")[0]
    return [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]


def test_readme_benchmark_table_is_the_committed_results():
    """Each figure of the README's table (also the performance page's) is in peers.md."""
    results = (ROOT / "benchmarks" / "results" / "peers.md").read_text()
    rows = _readme_table()
    assert len(rows) == 3, rows
    for row in rows:
        for figure in re.findall(r"\b\d[\d,]*(?:\.\d+×)?", row.split("|", 2)[2]):
            assert figure in results, f"README figure {figure} is not in benchmarks/results/peers.md: {row}"


def test_readme_is_short_and_changelog_has_this_version():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[?{re.escape(tfnpy.__version__)}\]?\b", changelog, re.M), \
        f"CHANGELOG.md has no section for {tfnpy.__version__}"


def _chrome_paths():
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
    return browser, driver


@pytest.fixture(scope="module")
def served(site):
    """The built site over HTTP on 127.0.0.1, as a reader's browser gets it."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    need_modules("selenium")
    chromium, chromedriver = _chrome_paths()
    need(chromium and chromedriver, "Chromium and its driver are not installed "
         "(Debian: apt-get install chromium chromium-driver)")
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium must never fetch a driver or browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--window-size=1280,900",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.mark.parametrize("page, expect", [
    ("index.html", "h1"),
    ("api/index.html", '[id="tfnpy.read_npy"]'),
    ("design.html", "img"),
])
def test_page_renders_in_chromium_without_errors(served, browser, page, expect):
    browser.get_log("browser")  # what earlier pages logged
    browser.get(f"{served}/{page}")
    state = browser.execute_script("return document.readyState")
    assert state == "complete", state
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert not errors, f"{page}: console errors:\n" + "\n".join(errors)
    report = browser.execute_script("""
        const css = [...document.styleSheets].filter(s => s.href).length;
        const images = [...document.images].map(i => [i.src, i.complete && i.naturalWidth > 0]);
        const found = document.querySelector(arguments[0]);
        const resources = performance.getEntriesByType('resource').map(r => r.name);
        return {title: document.title, css, images, found: !!found,
                visible: found ? found.getBoundingClientRect().height > 0 : false,
                text: document.body.innerText.length, resources};
    """, expect)
    assert report["found"] and report["visible"], f"{page}: {expect} not rendered"
    assert report["css"] >= 1 and report["text"] > 200, report
    assert all(ok for _, ok in report["images"]), report["images"]
    assert all(r.startswith(served) for r in report["resources"]), report["resources"]
    assert report["title"].endswith(f"tfnpy {tfnpy.__version__}"), report["title"]

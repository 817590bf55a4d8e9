"""Notebook 01 in a real JupyterLab, driven in headless Chromium the way a reader uses it.

Starts JupyterLab on a free localhost port with a token, opens a copy of 01_data_exploration.ipynb
(with its paired .py source and the project's jupytext.toml beside it), clicks Run > Run All
Cells, waits until every cell has run, checks that no cell failed and that the expected text and
figures are on the page, saves the notebook and checks that jupytext rewrote the paired .py
(the pairing is active in JupyterLab), and saves two screenshots to
test-artifacts/browser/. Needs Debian's Chromium (/usr/bin/chromium, installed by .ci/run) and
the real data (CIFAR10_DATA); skipped, saying why, without either.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
NOTEBOOK = "01_data_exploration.ipynb"
ARTIFACTS = os.path.join(ROOT, "test-artifacts", "browser")
CHROMIUM_ARGS = [  # no sandbox as root; no calls home (this machine has no network)
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
# JupyterLab settings for the test only: no news or update checks, every cell in the DOM, no autosave
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.real_data]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer at {url} within {timeout} s")


@pytest.fixture
def jupyterlab(tmp_path, real_data_path):
    """A JupyterLab server on localhost serving a copy of notebook 01 (the committed file is never touched)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: browser test skipped (apt-get install chromium; .ci/run does)")
    pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed")
    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(os.path.join(ROOT, "notebooks", NOTEBOOK), work / NOTEBOOK)
    shutil.copy(os.path.join(ROOT, "notebooks", NOTEBOOK.replace(".ipynb", ".py")), work / NOTEBOOK.replace(".ipynb", ".py"))
    shutil.copy(os.path.join(ROOT, "jupytext.toml"), work / "jupytext.toml")
    settings = tmp_path / "settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ, CIFAR_PROFILE="ci", CIFAR10_DATA=real_data_path,
        JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--ServerApp.port_retries=0",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        try:
            _wait_for_server(f"http://127.0.0.1:{port}/api/status?token={token}", server)
        except (RuntimeError, TimeoutError) as error:
            log.flush()
            raise RuntimeError(f"{error}; its log:\n{(tmp_path / 'jupyterlab.log').read_text()[-3000:]}") from None
        yield f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK}?token={token}", work
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _prompts(page) -> list[str]:
    return page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()


def test_notebook_01_runs_in_jupyterlab(jupyterlab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    url, work = jupyterlab
    source = work / NOTEBOOK.replace(".ipynb", ".py")
    os.utime(source, (0, 0))  # an old timestamp: saving through the pairing must rewrite it
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=120_000)
            dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
            try:  # a fresh JupyterLab asks which kernel to start: answer as a reader would
                dialog.wait_for(timeout=20_000)
                dialog.get_by_role("button", name="Select").click()
            except PlaywrightTimeout:
                pass
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=120_000)

            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()

            deadline = time.monotonic() + 300
            while True:  # done when every code cell shows an execution count and the kernel is idle
                prompts = _prompts(page)
                idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count() > 0
                if prompts and all(re.fullmatch(r"\[\d+\]:", t.strip()) for t in prompts) and idle:
                    break
                assert time.monotonic() < deadline, f"cells still not run after 5 minutes: {prompts}"
                page.wait_for_timeout(500)

            os.makedirs(ARTIFACTS, exist_ok=True)
            page.screenshot(path=os.path.join(ARTIFACTS, "01_data_exploration_end.png"))
            page.locator(".jp-OutputArea-output img").nth(1).scroll_into_view_if_needed()  # the sample grid
            page.screenshot(path=os.path.join(ARTIFACTS, "01_data_exploration_samples.png"))
            outputs = "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count()
            images = page.locator(".jp-OutputArea-output img").count()

            page.locator(".jp-Notebook").first.click()
            page.keyboard.press("Control+s")  # save: jupytext writes the paired .py too
            deadline = time.monotonic() + 30
            while source.stat().st_mtime < 1 and time.monotonic() < deadline:
                page.wait_for_timeout(250)
        finally:
            browser.close()

    print(f"browser test: notebook 01 ran in JupyterLab in {time.monotonic() - started:.1f} s")
    assert errors == 0 and "Traceback" not in outputs, outputs[-2000:]
    assert "50,000 training and" in outputs
    for fact in ("shape (32, 32, 3), dtype uint8", "9 truck", "validation images per class: [1000]",
                 "split again with the same seed: identical"):
        assert fact in outputs
    assert images >= 3, f"expected the three figures (balance, samples, histograms), found {images} images"
    assert source.stat().st_mtime > 1, "saving in JupyterLab did not rewrite the paired .py: is jupytext active?"
    import jupytext

    def cells(path):
        return [(c.cell_type, c.source.strip()) for c in jupytext.read(str(path)).cells]

    assert cells(source) == cells(work / NOTEBOOK), "the paired .py and the saved notebook differ"

"""The notebooks in a real JupyterLab, and TensorBoard, driven in headless Chromium as a reader uses them.

One JupyterLab server (free localhost port, a token) serves copies of the notebooks (with their
paired .py sources and the project's jupytext.toml); the committed files are never touched.
- 01: Run All, every cell runs without error, the expected text and figures are on the page,
  and saving rewrites the paired .py (jupytext's pairing is active in JupyterLab).
- 02: moving the rotation slider redraws the augmentation figure.
- 05: picking another confusion-matrix cell shows its images.
- 04: Kernel > Interrupt during training ends with one line (no traceback), and running the
  training cell again resumes after the last saved epoch.
- TensorBoard on a tiny run's logs renders the scalar charts with the expected tags.
Screenshots go to test-artifacts/browser/. Needs Debian's Chromium (/usr/bin/chromium, installed
by .ci/run) and the real data (CIFAR10_DATA); skipped, saying why, without either.
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
TRAINING_NOTEBOOK = "04_training.ipynb"
INTERRUPT_EPOCHS = 40  # notebook 4 in the ci profile: long enough to be interrupted mid-run
NOTEBOOKS = (NOTEBOOK, "02_augmentation_preview.ipynb", "05_evaluation.ipynb")
ARTIFACTS = os.path.join(ROOT, "test-artifacts", "browser")
CHROMIUM_ARGS = [  # no sandbox as root; no calls home (this machine has no network)
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
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


def _notebook_copy(work, name: str, parameters: dict | None = None) -> None:
    """Copy a notebook (and its paired .py) into ``work``, with parameters set as a reader would set them."""
    import jupytext

    source = os.path.join(ROOT, "notebooks", name.replace(".ipynb", ".py"))
    if not parameters:
        shutil.copy(os.path.join(ROOT, "notebooks", name), work / name)
        shutil.copy(source, work / name.replace(".ipynb", ".py"))
        return
    notebook = jupytext.read(source)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    for key, value in parameters.items():
        cell.source, count = re.subn(rf"^{key} = .*$", f"{key} = {value!r}", cell.source, flags=re.M)
        assert count == 1, f"{name}: no parameter {key}"
    jupytext.write(notebook, str(work / name))
    jupytext.write(notebook, str(work / name.replace(".ipynb", ".py")), fmt="py:percent")


def _start(command: list[str], log_path, url: str, cwd=None, env=None) -> subprocess.Popen:
    log = open(log_path, "w")
    server = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_server(url, server)
    except (RuntimeError, TimeoutError) as error:
        server.kill()
        log.flush()
        raise RuntimeError(f"{error}; its log:\n{open(log_path).read()[-3000:]}") from None
    return server


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: browser test skipped (apt-get install chromium; .ci/run does)")
    pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed")
    from playwright.sync_api import sync_playwright

    os.makedirs(ARTIFACTS, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory, real_data_path):
    """A JupyterLab server on localhost serving copies of the notebooks; yields (url of a notebook, work folder)."""
    tmp_path = tmp_path_factory.mktemp("browser")
    work = tmp_path / "lab"
    work.mkdir()
    for name in NOTEBOOKS:
        _notebook_copy(work, name)
    # notebook 4: its own run folder, no tuning runs, and enough epochs (a ci epoch takes a second
    # or two) that the interrupt arrives while it trains
    _notebook_copy(
        work, TRAINING_NOTEBOOK, {"RUN_DIR": str(tmp_path / "run04"), "EPOCHS": INTERRUPT_EPOCHS, "CANDIDATES": None}
    )
    shutil.copy(os.path.join(ROOT, "jupytext.toml"), work / "jupytext.toml")
    settings = tmp_path / "settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        CIFAR_PROFILE="ci",
        CIFAR10_DATA=real_data_path,
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    server = _start(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={work}",
            "--ServerApp.port_retries=0",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        tmp_path / "jupyterlab.log",
        f"http://127.0.0.1:{port}/api/status?token={token}",
        cwd=work,
        env=env,
    )
    try:
        # ?reset: a fresh workspace each time, so only this notebook is open (not the previous test's too)
        yield (lambda name: f"http://127.0.0.1:{port}/lab/tree/{name}?reset&token={token}"), work
    finally:
        _stop(server)


def _prompts(page) -> list[str]:
    return page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()


def _idle(page) -> bool:
    return page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count() > 0


def _open(browser, url: str):
    """A new page with the notebook open and its kernel idle."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

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
    return page


def _menu(page, menu: str, command: str) -> None:
    """Click a menu bar item, then one of its commands (e.g. "Run", "runmenu:run-all")."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{menu}$")).click()
    page.locator(f".lm-Menu-item[data-command='{command}']").click()


def _run_all(page, timeout: float = 300) -> None:
    """Run > Run All Cells, then wait until every code cell shows an execution count and the kernel is idle."""
    _menu(page, "Run", "runmenu:run-all")
    deadline = time.monotonic() + timeout
    while True:
        prompts = _prompts(page)
        if prompts and all(re.fullmatch(r"\[\d+\]:", t.strip()) for t in prompts) and _idle(page):
            return
        assert time.monotonic() < deadline, f"cells still not run after {timeout:.0f} s: {prompts}"
        page.wait_for_timeout(500)


def _errors_and_text(page) -> tuple[int, str]:
    outputs = "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count()
    return errors, outputs


def _wait_until(page, condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not seen within {timeout:.0f} s"
        page.wait_for_timeout(250)


def _image_of(cell) -> str:
    """The data URI of the (last) image a widget output in ``cell`` shows."""
    images = cell.locator(".widget-output img")
    return images.last.get_attribute("src") if images.count() else ""


def test_notebook_01_runs_in_jupyterlab(browser, jupyterlab):
    notebook_url, work = jupyterlab
    source = work / NOTEBOOK.replace(".ipynb", ".py")
    os.utime(source, (0, 0))  # an old timestamp: saving through the pairing must rewrite it
    started = time.monotonic()
    page = _open(browser, notebook_url(NOTEBOOK))
    _run_all(page)
    page.screenshot(path=os.path.join(ARTIFACTS, "01_data_exploration_end.png"))
    page.locator(".jp-OutputArea-output img").nth(1).scroll_into_view_if_needed()  # the sample grid
    page.screenshot(path=os.path.join(ARTIFACTS, "01_data_exploration_samples.png"))
    errors, outputs = _errors_and_text(page)
    images = page.locator(".jp-OutputArea-output img").count()

    page.locator(".jp-Notebook").first.click()
    page.keyboard.press("Control+s")  # save: jupytext writes the paired .py too
    deadline = time.monotonic() + 30
    while source.stat().st_mtime < 1 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    page.close()

    print(f"browser test: notebook 01 ran in JupyterLab in {time.monotonic() - started:.1f} s")
    assert errors == 0 and "Traceback" not in outputs, outputs[-2000:]
    assert "50,000 training and" in outputs
    for fact in (
        "shape (32, 32, 3), dtype uint8",
        "9 truck",
        "validation images per class: [1000]",
        "split again with the same seed: identical",
    ):
        assert fact in outputs
    assert images >= 3, f"expected the three figures (balance, samples, histograms), found {images} images"
    assert source.stat().st_mtime > 1, "saving in JupyterLab did not rewrite the paired .py: is jupytext active?"
    import jupytext

    def cells(path):
        return [(c.cell_type, c.source.strip()) for c in jupytext.read(str(path)).cells]

    assert cells(source) == cells(work / NOTEBOOK), "the paired .py and the saved notebook differ"


def _widget_cell(browser, url: str, code: str):
    """The notebook at ``url`` run in full without an error: (page, the code cell containing ``code``),
    once that cell's widget shows its first figure."""
    page = _open(browser, url)
    _run_all(page)
    errors, outputs = _errors_and_text(page)
    assert errors == 0, outputs[-2000:]
    cell = page.locator(".jp-CodeCell", has_text=code)
    cell.scroll_into_view_if_needed()
    _wait_until(page, lambda: _image_of(cell), 60, f"the figure of the cell with {code}")
    return page, cell


def _redraw_after(page, cell, before: str, what: str, screenshot: str) -> None:
    """Wait until the widget's figure differs from ``before``, then save a screenshot and close the page."""
    _wait_until(page, lambda: _image_of(cell) not in ("", before), 60, what)
    cell.evaluate("element => element.scrollIntoView({block: 'start'})")  # the code, then its widgets
    page.screenshot(path=os.path.join(ARTIFACTS, screenshot))
    page.close()


def test_augmentation_slider_redraws_the_figure(browser, jupyterlab):
    notebook_url, _ = jupyterlab
    page, cell = _widget_cell(browser, notebook_url("02_augmentation_preview.ipynb"), "widgets.interact(")
    before = _image_of(cell)
    slider = cell.locator(".widget-slider", has_text="rotation (deg)")
    assert slider.locator(".widget-readout").inner_text().strip() == "15"
    slider.locator(".noUi-handle").focus()
    page.keyboard.press("End")  # the slider's maximum: 45 degrees
    _wait_until(page, lambda: slider.locator(".widget-readout").inner_text().strip() == "45", 10, "rotation 45")
    _redraw_after(page, cell, before, "a redrawn figure after moving the slider", "02_augmentation_sliders.png")


def test_confusion_cell_browser_shows_the_picked_cell(browser, jupyterlab):
    notebook_url, _ = jupyterlab
    page, cell = _widget_cell(browser, notebook_url("05_evaluation.ipynb"), "cell_picker.observe(")
    before = _image_of(cell)
    picker = cell.locator(".widget-dropdown select")
    options = [o.replace("\xa0", " ") for o in picker.locator("option").all_inner_texts()]  # widgets use nbsp
    assert len(options) >= 10 and re.fullmatch(r"\w+ -> \w+ \(\d+\)", options[0]), options[:3]
    picker.select_option(index=1)  # the second most frequent mistake
    _redraw_after(page, cell, before, "the images of the picked cell", "05_confusion_cell_browser.png")


def test_interrupt_in_jupyterlab_then_resume(browser, jupyterlab):
    notebook_url, _ = jupyterlab
    page = _open(browser, notebook_url(TRAINING_NOTEBOOK))
    _menu(page, "Run", "runmenu:run-all")
    cell = page.locator(".jp-CodeCell", has_text="result = training.train(RECIPE")
    _wait_until(
        page, lambda: re.search(rf"epoch +1/{INTERRUPT_EPOCHS}", cell.inner_text()), 300, "the first epoch's line"
    )
    _menu(page, "Kernel", "kernelmenu:interrupt")
    _wait_until(page, lambda: _idle(page) and "Training interrupted" in cell.inner_text(), 120, "the interrupt")
    interrupted = cell.locator(".jp-OutputArea").inner_text()
    cell.scroll_into_view_if_needed()
    page.screenshot(path=os.path.join(ARTIFACTS, "04_interrupted.png"))
    assert "Run the same training again to resume" in interrupted and "Traceback" not in interrupted, interrupted
    saved = int(re.search(r"(\d+) finished epochs? saved", interrupted).group(1))

    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")  # run this cell again, as a reader would
    last = f"epoch {INTERRUPT_EPOCHS:>3}/{INTERRUPT_EPOCHS}"
    _wait_until(page, lambda: last in cell.inner_text() and _idle(page), 300, "the resumed run's end")
    resumed = cell.locator(".jp-OutputArea").inner_text()
    page.close()
    assert f"Resuming from epoch {saved} of {INTERRUPT_EPOCHS}" in resumed, resumed
    assert re.findall(rf"epoch +(\d+)/{INTERRUPT_EPOCHS}", resumed) == [
        str(e) for e in range(saved + 1, INTERRUPT_EPOCHS + 1)
    ], resumed


def test_tensorboard_shows_a_runs_scalars(browser, learnable_data, tmp_path):
    from cifar_lib.training import train

    run = tmp_path / "tiny-run"
    train("quick", learnable_data, str(run), epochs=2, batch_size=50, verbose=0)
    port = _free_port()
    server = _start(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            str(tmp_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        tmp_path / "tensorboard.log",
        f"http://127.0.0.1:{port}/data/runs",
    )
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/runs", timeout=10) as response:
            runs = json.load(response)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/plugins_listing", timeout=10) as response:
            plugins = json.load(response)  # which dashboards have data: scalars, and the model's graph
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/#timeseries")
        page.locator(".card-title, .name", has_text="epoch_accuracy").first.wait_for(timeout=60_000)
        page.wait_for_timeout(2000)  # let the charts draw
        page.screenshot(path=os.path.join(ARTIFACTS, "tensorboard_scalars.png"))
        text = page.inner_text("body")
        charts = page.locator("canvas, svg.line-chart, line-chart").count()
        page.close()
    finally:
        _stop(server)
    assert sorted(runs) == ["tiny-run/tensorboard/test", "tiny-run/tensorboard/train"], runs
    assert charts > 0, "no chart drawn"
    assert plugins["scalars"]["enabled"] and plugins["graphs"]["enabled"], plugins
    for tag in ("epoch_accuracy", "epoch_loss", "epoch_learning_rate", "epoch_seconds"):
        assert tag in text, (tag, text[:3000])

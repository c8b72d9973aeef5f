"""The `build` backend: npm ci from the shared cache and vite build inside bubblewrap, with limits."""

from __future__ import annotations

import socket
import subprocess

import pytest

from agents.catalog import starters
from previews import npm, sandbox
from previews.backends import BuildBackend, BuildFailed, PublishFailed
from previews.toolchain import toolchain

pytestmark = [pytest.mark.sandbox]


@pytest.fixture(autouse=True)
def shared_cache(settings, npm_cache):
    settings.NPM_CACHE_DIR = npm_cache
    return npm_cache


def react_app(**changes: str) -> dict[str, str]:
    files = dict(starters()["react-vite"].files)
    files.update(changes)
    return files


def build(files, folder, lines=None):
    BuildBackend().fill(files=files, folder=folder, log=None if lines is None else lines.append)


@pytest.mark.slow
def test_the_starter_builds_into_a_site_with_its_assets(tmp_path, preview_root):
    lines: list[str] = []
    build(react_app(), tmp_path, lines)

    page = (tmp_path / "index.html").read_text()
    assert '<div id="root"></div>' in page
    scripts = list((tmp_path / "assets").glob("index-*.js"))
    assert scripts and "Edit src/App.tsx" in scripts[0].read_text()
    assert any("built in" in line for line in lines)
    assert list(preview_root.iterdir()) == []  # the work folder is gone


@pytest.mark.slow
def test_a_build_error_names_the_file_and_needs_no_registry_the_second_time(tmp_path, settings):
    build(react_app(), tmp_path / "first")
    settings.NPM_REGISTRY = "http://127.0.0.1:9/"  # nothing answers there: the cache must have it all
    broken = "export default function App() {\n  return <main>\n}\n"

    with pytest.raises(BuildFailed) as failure:
        build(react_app(**{"src/App.tsx": broken}), tmp_path / "second")

    assert npm.uncached(lockfile=react_app()["package-lock.json"]) == []
    assert str(failure.value).startswith("Building failed (exit status 1).")
    assert "src/App.tsx" in str(failure.value)


def sandboxed(tmp_path, script: str, **limits) -> sandbox.Result:
    tools = toolchain()
    limits = {"wall_seconds": 60, "cpu_seconds": 60, "memory_bytes": 1024**3, **limits}
    return sandbox.run(
        bwrap=tools.bwrap, argv=[tools.node, "-e", script], work=tmp_path, limits=sandbox.Limits(**limits)
    )


def test_code_in_the_sandbox_cannot_reach_the_network(tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))  # reachable from any process on this host's network
    port = listener.getsockname()[1]
    script = (
        f"const s = require('net').connect({port}, '127.0.0.1');"
        "s.on('connect', () => { console.log('connected'); process.exit(0); });"
        "s.on('error', (e) => { console.log(e.code); process.exit(3); });"
        "require('dns').lookup('registry.npmjs.org', (e) => console.log(e ? e.code : 'resolved'));"
    )
    try:
        result = sandboxed(tmp_path, script)
    finally:
        listener.close()

    assert result.returncode == 3, result.tail
    assert "connected" not in result.tail and "resolved" not in result.tail


def test_code_in_the_sandbox_sees_only_the_work_folder_writable(tmp_path):
    script = (
        "const fs = require('fs'); fs.writeFileSync('/app/ok', 'yes');"
        "for (const p of ['/usr/x', '/etc/x', '/x']) {"
        " try { fs.writeFileSync(p, 'no'); console.log('wrote ' + p) } catch (e) { console.log(e.code) } }"
        "console.log(Object.keys(process.env).filter((k) => /KEY|SECRET|DATABASE/.test(k)).length)"
    )

    result = sandboxed(tmp_path, script)

    assert result.ok, result.tail
    assert (tmp_path / "ok").read_text() == "yes"
    assert not any(line.startswith("wrote") for line in result.tail)
    assert result.tail[-1] == "0"  # no secret of Atelier's environment inside


def test_a_build_that_loops_is_killed_at_its_time_limit_with_all_its_processes(tmp_path):
    script = (
        "require('child_process').spawn(process.execPath, ['-e', 'while(true){} // loop-child-7f3a'],"
        " {stdio: 'inherit'}); while (true) {}"
    )

    result = sandboxed(tmp_path, script, wall_seconds=3)

    assert result.timed_out and not result.ok
    leftover = subprocess.run(["pgrep", "-f", "loop-child-7f3a"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""


def test_a_build_that_burns_cpu_is_stopped_at_its_cpu_limit(tmp_path):
    result = sandboxed(tmp_path, "while (true) {}", cpu_seconds=1)

    assert not result.timed_out
    assert result.returncode in (-24, 128 + 24)  # SIGXCPU


def test_an_app_without_a_lockfile_is_refused_before_anything_runs(tmp_path):
    files = react_app()
    del files["package-lock.json"]

    with pytest.raises(PublishFailed, match="no package-lock.json"):
        build(files, tmp_path)


def test_without_bubblewrap_the_backend_says_what_to_install(tmp_path, settings):
    settings.BWRAP_BINARY = "/nonexistent/bwrap"
    toolchain.cache_clear()
    try:
        with pytest.raises(PublishFailed, match="apt-get install nodejs npm bubblewrap"):
            build(react_app(), tmp_path)
    finally:
        toolchain.cache_clear()

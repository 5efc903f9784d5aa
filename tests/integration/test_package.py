"""An installed Summitry has no node_modules: the browser libraries its pages load travel in
the package (scripts/bootstrap copies them into static/vendor), and a built wheel serves them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
# The URLs the meeting page and the interpreter's console load (templates and media.js).
VENDOR_URLS = (
    "/static/vendor/janus-gateway/npm/dist/janus.es.js",
    "/static/vendor/webrtc-adapter/out/adapter.js",
)

SERVE = """
import sys
from pathlib import Path
from starlette.testclient import TestClient
import summitry
from summitry.app import create_app
from summitry.config import Settings

assert Path(summitry.__file__).is_relative_to(Path(sys.argv[1])), summitry.__file__
settings = Settings(environment="development", data_dir=sys.argv[2], media=False,
                    secret_key="test-secret-key-that-is-long-enough-for-signing")
client = TestClient(create_app(settings))
for url in sys.argv[3:]:
    response = client.get(url)
    print(url, response.status_code, len(response.content))
    assert response.status_code == 200, url
    assert "javascript" in response.headers["content-type"], url
"""


def npm_file(url: str) -> Path:
    return ROOT / "node_modules" / url.removeprefix("/static/vendor/")


@pytest.mark.parametrize("url", VENDOR_URLS)
async def test_the_app_serves_the_libraries_from_the_package(
    client: httpx.AsyncClient, url: str
) -> None:
    response = await client.get(url)
    assert response.status_code == 200, "run scripts/bootstrap: it copies them from npm"
    assert response.content == npm_file(url).read_bytes()


def test_a_built_wheel_carries_and_serves_the_libraries(tmp_path: Path) -> None:
    # Built from a copy: setuptools' build/ in the worktree may hold files the source no longer has.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, source],
        check=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("summitry-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for url in VENDOR_URLS:
        assert f"summitry/web{url}" in names

    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    data = tmp_path / "data"
    data.mkdir()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(installed)}
    run = subprocess.run(
        [sys.executable, "-c", SERVE, installed, data, *VENDOR_URLS],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr

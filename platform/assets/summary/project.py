"""The dbt project of the summary layer and its manifest, built offline when definitions load.

The project lives in `dbt_project/` beside this module, inside the import package, so an
install ships it with the code that loads it. `dbt parse` needs no warehouse connection;
its manifest is cached under `dbt_project/target/` and rebuilt only when a project file
changes, so a clean checkout (or CI) parses once and later loads reuse it. A project that
does not parse (bad Jinja or YAML) is reported, not raised: the code location still loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

PROJECT_DIR = Path(__file__).parent / "dbt_project"
SOURCE_FOLDERS = ("models", "macros", "tests", "seeds")
MODEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def dbt_executable() -> str:
    """The `dbt` installed beside this Python (a venv need not be on PATH)."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def project_files(project_dir: Path) -> list[Path]:
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in SOURCE_FOLDERS:
        files += sorted(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return files


def fingerprint(project_dir: Path) -> str:
    """A digest of every project file (names and contents)."""
    digest = hashlib.sha256(version("dbt-core").encode() + version("dbt-postgres").encode())
    for path in project_files(project_dir):
        digest.update(str(path.relative_to(project_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class ParseFailure:
    """dbt could not parse the project; `message` is dbt's own error (it names the file)."""

    message: str


def unloadable_files(project_dir: Path) -> list[Path]:
    """Model files whose name dbt refuses (spaces) or Dagster cannot use as a key (`;`, `-`…)."""
    return [p for p in sorted((project_dir / "models").rglob("*.sql")) if not MODEL_NAME.match(p.stem)]


def write_dbtignore(project_dir: Path) -> list[Path]:
    """Keep unloadable model files out of every dbt parse, so they cannot break the others."""
    bad = unloadable_files(project_dir)
    escaped = [re.sub(r"([\\*?\[\]!# ])", r"\\\1", str(p.relative_to(project_dir))) for p in bad]
    text = "# Generated when definitions load: model files whose name cannot be a model.\n"
    (project_dir / ".dbtignore").write_text(text + "".join(f"/{line}\n" for line in escaped))
    return bad


def prepare_manifest(project_dir: Path = PROJECT_DIR) -> Path | ParseFailure:
    """The manifest path, parsing the project first if any file changed since the last parse."""
    write_dbtignore(project_dir)
    target = project_dir / "target"
    manifest, stamp, digest = target / "manifest.json", target / "manifest.sha256", fingerprint(project_dir)
    if manifest.exists() and stamp.exists() and stamp.read_text() == digest:
        return manifest
    target.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target, prefix="parse-") as scratch:
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_LOG_PATH": scratch,
               "DBT_PROFILES_DIR": str(project_dir)}  # fmt: skip
        done = subprocess.run(
            [dbt_executable(), "parse", "--no-partial-parse", "--target-path", scratch, "--log-format", "json"],
            cwd=project_dir, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not (Path(scratch) / "manifest.json").exists():
            return ParseFailure(error_text(done.stdout + done.stderr))
        # Concurrent loads each parse into their own folder; the rename is atomic.
        os.replace(Path(scratch) / "manifest.json", manifest)
        stamp.write_text(digest)
    return manifest


def error_text(output: str) -> str:
    """dbt's error lines from its JSON log (level `error`), else the output's tail."""
    errors = []
    for line in output.splitlines():
        try:
            info = json.loads(line).get("info", {})
        except (ValueError, AttributeError):
            continue
        if info.get("level") == "error" and info.get("msg"):
            errors.append(ANSI.sub("", info["msg"]).strip())
    return "\n".join(errors) or output.strip()[-2000:] or "dbt parse failed without output"

"""Models that parse in dbt but cannot become assets are set aside, each on its own.

dbt accepts model files that Dagster cannot load as they are (a name with a space or `;`,
a bad `meta`), and one of them would take the whole code location down. Such a model, and
whatever is built on it, leaves the manifest Dagster loads and comes back as a failing
placeholder that names the file and the problem; every other model loads as usual.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data_platform.assets.summary.project import MODEL_NAME, unloadable_files
from data_platform.assets.summary.translator import reads_days


@dataclass(frozen=True)
class ModelProblem:
    name: str
    path: str
    message: str


def problem_of(node: Mapping[str, Any]) -> str | None:
    """Why a model cannot be an asset, or None."""
    if not MODEL_NAME.match(node["name"]):
        return f"model name {node['name']!r} is not an identifier: use letters, digits and _"
    meta = (node.get("config") or {}).get("meta") or {}
    if node["config"].get("materialized") == "incremental" and not meta.get("partition_column"):
        return "an incremental model declares its partition column: config(meta={'partition_column': ...})"
    try:
        reads_days(node, "reads_ahead"), reads_days(node, "reads_behind")
    except ValueError as exc:
        return str(exc)
    return None


def ignored_files(project_dir: Path) -> list[ModelProblem]:
    """Model files kept out of the parse (see `project.write_dbtignore`), as problems."""
    return [
        ModelProblem(p.stem, str(p.relative_to(project_dir)), "the file name is not an identifier: use letters, digits and _")
        for p in unloadable_files(project_dir)
    ]


def vet_manifest(path: Path) -> tuple[dict, list[ModelProblem]]:
    """The manifest without unloadable models (and their descendants), and why each left."""
    manifest = json.loads(path.read_text())
    nodes = manifest["nodes"]
    bad = {uid: p for uid, n in nodes.items() if n["resource_type"] == "model" and (p := problem_of(n))}
    for uid in list(bad):
        for child in _descendants(manifest, uid):
            if nodes[child]["resource_type"] == "model":
                bad.setdefault(child, f"reads {nodes[uid]['name']!r}, which does not load")
    found = [ModelProblem(nodes[uid]["name"], nodes[uid]["original_file_path"], m) for uid, m in bad.items()]
    removed = set(bad) | {
        uid for uid, n in nodes.items() if set(n.get("depends_on", {}).get("nodes", [])) & set(bad)
    }
    for uid in removed:
        nodes.pop(uid)
    for key in ("parent_map", "child_map"):
        graph = manifest.get(key) or {}
        for uid in removed:
            graph.pop(uid, None)
        for uid, links in graph.items():
            graph[uid] = [link for link in links if link not in removed]
    return manifest, found


def _descendants(manifest: Mapping[str, Any], uid: str) -> set[str]:
    seen, todo = set(), [uid]
    while todo:
        for child in manifest.get("child_map", {}).get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen

"""The folder Chainlit serves the app from (``CHAINLIT_APP_ROOT``), and the sign-in secret.

``prepare_app_root`` copies the app's package data (``coach/app/data``: Chainlit's
``.chainlit/config.toml``, the ``chainlit.md`` readme, avatars, logos and the support
options element) to ``<data_dir>/chainlit`` at every start, so an upgrade takes effect.
Chainlit also keeps its translations and per-session temporary files there.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from importlib import resources, util
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

APP_ROOT_DIR = "chainlit"
SECRET_FILE = "auth-secret"
_CONFIG = ".chainlit/config.toml"
_TRANSLATION = ".chainlit/translations/en-US.json"

# The product's words in Chainlit's interface (en-US), over Chainlit's own.
UI_WORDS: dict[str, str] = {
    "auth.login.title": "Sign in to Debrief Coach",
    "auth.login.form.email.label": "Username",
    "auth.login.form.email.placeholder": "your username",
    "chat.input.placeholder": "Tell me what happened, in your own words...",
    "chat.commands.button": "Controls",
    "chat.commands.availableTools": "Debrief controls",
    "chat.watermark": "Not therapy or an emergency service. Identifiers are replaced with "
    "placeholders before anything is stored.",
    "threadHistory.sidebar.empty": "No debriefs yet",
    "navigation.header.readme": "About",
    "navigation.newChat.button": "New debrief",
    "navigation.newChat.dialog.title": "Start a new debrief",
    "navigation.newChat.dialog.tooltip": "New debrief",
}


def app_root(data_dir: Path) -> Path:
    return (data_dir / APP_ROOT_DIR).resolve()


def _copy_tree(source: Traversable, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_dir():
            _copy_tree(item, target / item.name)
        elif not item.name.startswith("."):
            (target / item.name).write_bytes(item.read_bytes())


def chainlit_config(template: str, origins: Sequence[str]) -> str:
    """``template`` (the packaged config.toml) with ``allow_origins`` set to ``origins``."""
    line = "allow_origins = " + json.dumps(list(origins))
    lines = template.splitlines()
    found = [i for i, text in enumerate(lines) if text.startswith("allow_origins")]
    if len(found) != 1:
        raise ValueError("coach/app/data/config.toml must hold exactly one allow_origins line")
    lines[found[0]] = line
    return "\n".join(lines) + "\n"


def prepare_app_root(data_dir: Path, origins: Sequence[str] = ()) -> Path:
    """Write the app folder under ``data_dir`` and return it (absolute). Browsers may call
    the app from ``origins`` only (CORS); none given means same-origin only."""
    root = app_root(data_dir)
    data = resources.files("coach.app").joinpath("data")
    root.mkdir(parents=True, exist_ok=True)
    config = root / _CONFIG
    config.parent.mkdir(parents=True, exist_ok=True)
    template = data.joinpath("config.toml").read_text(encoding="utf-8")
    config.write_text(chainlit_config(template, origins), encoding="utf-8")
    readme = data.joinpath("chainlit.md").read_bytes()
    (root / "chainlit.md").write_bytes(readme)
    (root / "chainlit_en-US.md").write_bytes(readme)  # the readme for the forced en-US UI
    _copy_tree(data.joinpath("public"), root / "public")
    _write_translation(root / _TRANSLATION)
    return root


def _chainlit_translation() -> dict[str, Any]:
    """Chainlit's shipped en-US words, found without importing Chainlit (whose import
    reads ``CHAINLIT_APP_ROOT``)."""
    spec = util.find_spec("chainlit")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "translations" / "en-US.json"
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _write_translation(path: Path) -> None:
    words = _chainlit_translation()
    if not words:
        return
    for dotted, value in UI_WORDS.items():
        node = words
        *parents, leaf = dotted.split(".")
        for key in parents:
            child = node.get(key)
            if not isinstance(child, dict):
                break
            node = child
        else:
            if leaf in node:
                node[leaf] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(words, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def auth_secret(data_dir: Path, configured: str | None, environ: dict[str, str]) -> str:
    """The secret that signs sign-in tokens: ``COACH_AUTH_SECRET``, else
    ``CHAINLIT_AUTH_SECRET``, else one generated once and kept in ``<data_dir>/auth-secret``
    (mode 0600), so sign-ins survive a restart."""
    if configured:
        return configured
    if environ.get("CHAINLIT_AUTH_SECRET"):
        return environ["CHAINLIT_AUTH_SECRET"]
    path = data_dir / SECRET_FILE
    if path.is_file():
        value = path.read_text(encoding="utf-8").strip()
        if len(value) >= 32:
            return value
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value

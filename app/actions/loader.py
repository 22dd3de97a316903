# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Finding action files, loading them, and reloading them when they change.

Each ``*.py`` file in the actions folder (not starting with ``_``) is one
action named after the file. A file that fails to import or declares bad
``options`` is kept as an ActionInfo with its error; the others keep working.
"""

import dataclasses
import hashlib
import importlib.util
import inspect
import itertools
import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from app.actions.model import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_S,
    ActionInfo,
    scope_matches,
)
from app.events import ACTIONS_CHANGED, EventHub

log = logging.getLogger(__name__)

# The arguments run() may ask for, by parameter name.
RUN_PARAMETERS = ("params", "trigger", "logger", "api", "connections")

# store/<segment>/..., where a segment is a word, "*" or "{placeholder}".
_SCOPE_RE = re.compile(r"store(/([A-Za-z0-9_]+|\*|\{[A-Za-z_]+\}))+\Z")

_module_numbers = itertools.count(1)


class ActionLoadError(Exception):
    """An action file cannot be used; the message names the file and line."""


@dataclasses.dataclass(frozen=True)
class LoadedAction:
    """A loaded action: what the console shows plus the callable to run."""

    info: ActionInfo
    run: Callable[..., Any]
    is_async: bool
    # The parameter names run() asks for, in order.
    wants: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class _Fingerprint:
    mtime_ns: int
    size: int
    digest: str


@dataclasses.dataclass
class _Entry:
    fingerprint: _Fingerprint
    info: ActionInfo
    loaded: LoadedAction | None
    module_name: str = ""


def _check_scope(scope: Any, where: str) -> str:
    if not isinstance(scope, str):
        raise ActionLoadError(f"{where}: a scope must be a string, got {scope!r}")
    if not _SCOPE_RE.match(scope):
        raise ActionLoadError(
            f"{where}: {scope!r} is not a BigCommerce scope (like store/order/created)"
        )
    return scope


def parse_options(options: Any) -> tuple[tuple[str, ...], int, float]:
    """Validate an action's options; returns (triggers, retries, timeout)."""
    if not isinstance(options, dict):
        raise ActionLoadError(f"options must be a dict, got {type(options).__name__}")
    triggers = options.get("triggers", {})
    if not isinstance(triggers, dict):
        raise ActionLoadError('options["triggers"] must be a dict')
    if not isinstance(triggers.get("api", False), bool):
        raise ActionLoadError('options["triggers"]["api"] must be True or False')
    bigcommerce = triggers.get("bigcommerce", {})
    if not isinstance(bigcommerce, dict):
        raise ActionLoadError('options["triggers"]["bigcommerce"] must be a dict')
    webhooks = bigcommerce.get("webhooks", [])
    if not isinstance(webhooks, list | tuple):
        raise ActionLoadError(
            'options["triggers"]["bigcommerce"]["webhooks"] must be a list of scopes'
        )
    where = 'options["triggers"]["bigcommerce"]["webhooks"]'
    scopes = tuple(dict.fromkeys(_check_scope(s, where) for s in webhooks))

    retries = options.get("retries", DEFAULT_RETRIES)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ActionLoadError(
            f'options["retries"] must be a whole number >= 0, got {retries!r}'
        )
    timeout = options.get("timeout", DEFAULT_TIMEOUT_S)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or timeout <= 0
    ):
        raise ActionLoadError(
            f'options["timeout"] must be seconds > 0, got {timeout!r}'
        )
    return scopes, retries, float(timeout)


def run_parameters(run: Callable[..., Any]) -> tuple[str, ...]:
    """The names run() asks for; an unknown required name is an ActionLoadError."""
    wants = []
    for parameter in inspect.signature(run).parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            return RUN_PARAMETERS
        if parameter.kind in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.POSITIONAL_ONLY,
        ):
            raise ActionLoadError(
                f"run() cannot take {parameter}: arguments are passed by name"
            )
        if parameter.name in RUN_PARAMETERS:
            wants.append(parameter.name)
        elif parameter.default is inspect.Parameter.empty:
            raise ActionLoadError(
                f"run() asks for {parameter.name!r}; it can ask for "
                + ", ".join(RUN_PARAMETERS)
            )
    return tuple(wants)


def _error_text(path: Path, error: BaseException) -> str:
    if isinstance(error, SyntaxError):
        return f"{path.name}, line {error.lineno}: SyntaxError: {error.msg}"
    if isinstance(error, ActionLoadError):
        return f"{path.name}: {error}"
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if Path(frame.filename) == path:
            line = frame.lineno
    where = f"{path.name}, line {line}" if line else path.name
    return f"{where}: {type(error).__name__}: {error}"


def _fingerprint(path: Path, previous: _Fingerprint | None) -> _Fingerprint:
    stat = path.stat()
    if previous and (previous.mtime_ns, previous.size) == (
        stat.st_mtime_ns,
        stat.st_size,
    ):
        return previous
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return _Fingerprint(stat.st_mtime_ns, stat.st_size, digest)


def _import(path: Path, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ActionLoadError("not a loadable Python file")
    module = importlib.util.module_from_spec(spec)
    # Registered while it runs so dataclasses, pickling and typing work in it.
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def load_action(path: Path, module_name: str) -> LoadedAction:
    """Import one action file and check it; raises on any problem."""
    module = _import(path, module_name)
    triggers, retries, timeout = parse_options(getattr(module, "options", {}))
    run = getattr(module, "run", None)
    if not callable(run):
        raise ActionLoadError("defines no run() function")
    info = ActionInfo(
        name=path.stem, path=path, triggers=triggers, retries=retries, timeout=timeout
    )
    return LoadedAction(
        info=info,
        run=run,
        is_async=inspect.iscoroutinefunction(run),
        wants=run_parameters(run),
    )


class ActionRegistry:
    """The actions in one folder, reloaded when their files change.

    Thread-safe: the receiver asks actions_for() from its own thread while
    the watcher thread reloads.
    """

    def __init__(self, actions_dir: Path, events: EventHub | None = None) -> None:
        self.actions_dir = actions_dir
        self._events = events
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self.refresh()

    # --- reading ---

    def actions(self) -> list[ActionInfo]:
        """Every action file, loaded or not, sorted by name."""
        with self._lock:
            return [self._entries[name].info for name in sorted(self._entries)]

    def get(self, name: str) -> LoadedAction | None:
        """The loaded action of that name; None when missing or broken."""
        with self._lock:
            entry = self._entries.get(name)
        return entry.loaded if entry else None

    def info(self, name: str) -> ActionInfo | None:
        """What is known of the action of that name, including a load error."""
        with self._lock:
            entry = self._entries.get(name)
        return entry.info if entry else None

    def actions_for(self, scope: str) -> list[ActionInfo]:
        """The loaded actions with a trigger matching scope."""
        return [
            info
            for info in self.actions()
            if info.error is None
            and any(scope_matches(t, scope) for t in info.triggers)
        ]

    def desired_scopes(self) -> set[str]:
        """Every scope some loaded action listens to."""
        return {
            t for info in self.actions() if info.error is None for t in info.triggers
        }

    # --- loading ---

    def refresh(self) -> bool:
        """Load new and changed files, forget removed ones; True if any changed."""
        with self._refresh_lock:
            changed = self._refresh()
        if changed and self._events is not None:
            self._events.publish(ACTIONS_CHANGED)
        return changed

    def _scan(self) -> dict[str, Path]:
        if not self.actions_dir.is_dir():
            return {}
        return {
            path.stem: path
            for path in sorted(self.actions_dir.glob("*.py"))
            if not path.name.startswith("_") and path.is_file()
        }

    def _refresh(self) -> bool:
        with self._lock:
            entries = dict(self._entries)
        files = self._scan()
        changed = False
        for name in set(entries) - set(files):
            log.info("Action %s was removed", name)
            sys.modules.pop(entries.pop(name).module_name, None)
            changed = True
        for name, path in files.items():
            entry = entries.get(name)
            try:
                fingerprint = _fingerprint(path, entry.fingerprint if entry else None)
            except OSError as error:
                log.warning("Cannot read action file %s: %s", path, error)
                continue
            if entry and entry.fingerprint.digest == fingerprint.digest:
                entry.fingerprint = fingerprint
                continue
            if entry:
                sys.modules.pop(entry.module_name, None)
            entries[name] = self._load(path, fingerprint)
            changed = True
        with self._lock:
            self._entries = entries
        return changed

    def _load(self, path: Path, fingerprint: _Fingerprint) -> _Entry:
        module_name = f"storehook_action_{next(_module_numbers)}_{path.stem}"
        try:
            loaded = load_action(path, module_name)
        except BaseException as error:  # a script may even raise SystemExit
            if isinstance(error, KeyboardInterrupt):
                raise
            text = _error_text(path, error)
            log.warning("Action %s failed to load: %s", path.stem, text)
            sys.modules.pop(module_name, None)
            info = ActionInfo(name=path.stem, path=path, error=text)
            return _Entry(fingerprint, info, None, module_name)
        log.info(
            "Loaded action %s (triggers: %s)",
            path.stem,
            ", ".join(loaded.info.triggers),
        )
        return _Entry(fingerprint, loaded.info, loaded, module_name)

    # --- watching ---

    def start_watching(self, interval_s: float = 1.0) -> None:
        """Poll the folder for changes in a daemon thread."""
        if self._watcher is not None:
            return
        self._stop.clear()
        self._watcher = threading.Thread(
            target=self._watch, args=(interval_s,), name="action-watcher", daemon=True
        )
        self._watcher.start()

    def stop_watching(self) -> None:
        """Stop polling; returns once the watcher thread has ended."""
        watcher, self._watcher = self._watcher, None
        if watcher is None:
            return
        self._stop.set()
        watcher.join(timeout=10)

    def _watch(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                self.refresh()
            except Exception:
                log.exception("Checking the actions folder %s failed", self.actions_dir)

# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Finding action files, loading them, and reloading them when they change.

Each ``*.py`` file in the actions folder (not starting with ``_``) is one
action named after the file. A file that fails to import or declares bad
``options`` is kept as an ActionInfo with its error; the others keep working.
A file that loaded before and then fails (an editor saving half a file) keeps
its last good triggers, marked stale, so that nothing is unregistered or lost
while it is being fixed. A missing or unreadable folder is reported
(``folder_error``) and changes nothing.
"""

import dataclasses
import hashlib
import importlib.util
import inspect
import itertools
import logging
import os
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
    ActionsFolderUnavailable,
    scope_matches,
)
from app.events import ACTIONS_CHANGED, EventHub

log = logging.getLogger(__name__)

# The arguments run() may ask for, by parameter name.
RUN_PARAMETERS = ("params", "trigger", "logger", "api", "connections")

# The bounds of options["retries"] and options["timeout"].
MAX_RETRIES = 100
MAX_TIMEOUT_S = 24 * 3600.0

# How long a file's import-time code may run before the file counts as broken.
IMPORT_TIME_LIMIT_S = 10.0

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

    # The bounds keep every value storable: NaN or 10**20 in a job row
    # would make each delivery of the action's scopes fail.
    retries = options.get("retries", DEFAULT_RETRIES)
    if (
        isinstance(retries, bool)
        or not isinstance(retries, int)
        or not 0 <= retries <= MAX_RETRIES
    ):
        raise ActionLoadError(
            f'options["retries"] must be a whole number from 0 to {MAX_RETRIES}, '
            f"got {retries!r}"
        )
    timeout = options.get("timeout", DEFAULT_TIMEOUT_S)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 < timeout <= MAX_TIMEOUT_S  # also false for NaN and infinity
    ):
        raise ActionLoadError(
            f'options["timeout"] must be seconds > 0 and at most '
            f"{MAX_TIMEOUT_S:g} (24 hours), got {timeout!r}"
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


def _import(path: Path, module_name: str, time_limit_s: float) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ActionLoadError("not a loadable Python file")
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    # Registered while it runs so dataclasses, pickling and typing work in it.
    sys.modules[module_name] = module
    try:
        _execute(path, lambda: loader.exec_module(module), time_limit_s)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _execute(path: Path, body: Callable[[], None], time_limit_s: float) -> None:
    """Run a file's import-time code in a daemon thread of its own, with a limit.

    Whatever the code does (raise SystemExit or KeyboardInterrupt, sleep,
    loop) becomes this file's load error; the thread is abandoned if it
    overruns. A real Ctrl+C still reaches the calling thread.
    """
    raised: list[BaseException | None] = []

    def target() -> None:
        try:
            body()
        except BaseException as error:  # even SystemExit: it is the file's error
            raised.append(error)
        else:
            raised.append(None)

    thread = threading.Thread(target=target, name=f"import-{path.stem}", daemon=True)
    thread.start()
    thread.join(time_limit_s)
    if not raised:
        raise ActionLoadError(
            f"importing took longer than {time_limit_s:g} s (waiting or looping at "
            "import time?); it was abandoned"
        )
    error = raised[0]
    if error is None:
        return
    if not isinstance(error, Exception):
        lines = [
            frame.lineno
            for frame in traceback.extract_tb(error.__traceback__)
            if Path(frame.filename) == path
        ]
        where = f"line {lines[-1]}: " if lines else ""
        raise ActionLoadError(
            f"{where}raised {type(error).__name__} at import time; an action file "
            "cannot stop Storehook"
        ) from error
    raise error


def _is_async(run: Callable[..., Any]) -> bool:
    # functools.wraps around an async function leaves a plain wrapper that
    # returns a coroutine; __wrapped__ says what it wraps.
    return inspect.iscoroutinefunction(run) or inspect.iscoroutinefunction(
        inspect.unwrap(run)
    )


def load_action(
    path: Path, module_name: str, import_time_limit_s: float = IMPORT_TIME_LIMIT_S
) -> LoadedAction:
    """Import one action file and check it; raises on any problem."""
    module = _import(path, module_name, import_time_limit_s)
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
        is_async=_is_async(run),
        wants=run_parameters(run),
    )


def _last_good(entry: _Entry | None) -> ActionInfo | None:
    """The info of the last version of an action that loaded, if any."""
    if entry is None:
        return None
    if entry.loaded is not None:
        return entry.loaded.info
    if entry.info.stale:
        return entry.info
    return None


class ActionRegistry:
    """The actions in one folder, reloaded when their files change.

    Thread-safe: the receiver asks actions_for() from its own thread while
    the watcher thread reloads.
    """

    def __init__(
        self,
        actions_dir: Path,
        events: EventHub | None = None,
        *,
        import_time_limit_s: float = IMPORT_TIME_LIMIT_S,
    ) -> None:
        self.actions_dir = actions_dir
        self._events = events
        self._import_time_limit_s = import_time_limit_s
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._folder_error = ""
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

    @property
    def folder_error(self) -> str:
        """Why the actions folder cannot be read ("" when it can)."""
        with self._lock:
            return self._folder_error

    def actions_for(self, scope: str) -> list[ActionInfo]:
        """The actions with a trigger matching scope, stale ones included.

        A stale action's jobs are queued all the same: they fail with its load
        error and retry, and run once the file is fixed.
        """
        return [
            info
            for info in self.actions()
            if (info.error is None or info.stale)
            and any(scope_matches(t, scope) for t in info.triggers)
        ]

    def desired_scopes(self) -> set[str]:
        """Every scope some action listens to, stale ones included.

        Raises ActionsFolderUnavailable when the folder cannot be read: the
        scopes are unknown then, not empty.
        """
        problem = self.folder_error
        if problem:
            raise ActionsFolderUnavailable(problem)
        return {
            t
            for info in self.actions()
            if info.error is None or info.stale
            for t in info.triggers
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
        """The action files by name; raises OSError when the folder is unreadable."""
        # os.scandir, unlike Path.glob, says when the folder cannot be read.
        with os.scandir(self.actions_dir) as listing:
            names = sorted(entry.name for entry in listing)
        paths = (self.actions_dir / name for name in names)
        return {
            path.stem: path
            for path in paths
            if path.suffix == ".py" and not path.name.startswith("_") and path.is_file()
        }

    def _folder_problem(self, error: OSError) -> str:
        if isinstance(error, FileNotFoundError):
            return f"actions folder {self.actions_dir} not found"
        if isinstance(error, NotADirectoryError):
            return f"actions folder {self.actions_dir} is not a folder"
        reason = error.strerror or type(error).__name__
        return f"actions folder {self.actions_dir} cannot be read ({reason})"

    def _refresh(self) -> bool:
        with self._lock:
            entries = dict(self._entries)
            was = self._folder_error
        try:
            files = self._scan()
        except OSError as error:
            # Keep every action as it is: deliveries still queue, and sync
            # refuses to act on scopes it cannot know.
            problem = self._folder_problem(error)
            if problem != was:
                log.warning("%s; actions and hooks left unchanged", problem)
            with self._lock:
                self._folder_error = problem
            return problem != was
        if was:
            log.info("Actions folder %s is readable again", self.actions_dir)
        changed = bool(was)
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
            entries[name] = self._load(path, fingerprint, entry)
            changed = True
        with self._lock:
            self._entries = entries
            self._folder_error = ""
        return changed

    def _load(
        self, path: Path, fingerprint: _Fingerprint, before: _Entry | None = None
    ) -> _Entry:
        module_name = f"storehook_action_{next(_module_numbers)}_{path.stem}"
        try:
            loaded = load_action(path, module_name, self._import_time_limit_s)
        except BaseException as error:  # a script may even raise SystemExit
            if isinstance(error, KeyboardInterrupt):
                raise  # Ctrl+C while loading; the script's own is a load error
            text = _error_text(path, error)
            log.warning("Action %s failed to load: %s", path.stem, text)
            sys.modules.pop(module_name, None)
            good = _last_good(before)
            if good is None:
                info = ActionInfo(name=path.stem, path=path, error=text)
            else:
                # Keep the triggers that worked: hooks stay, deliveries queue.
                info = dataclasses.replace(good, error=text, stale=True)
                log.warning(
                    "Action %s keeps its last good triggers (%s) until it loads",
                    path.stem,
                    ", ".join(good.triggers) or "none",
                )
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
            except BaseException:  # the watcher must outlive anything a file does
                log.exception("Checking the actions folder %s failed", self.actions_dir)

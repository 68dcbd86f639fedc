"""Benchmark tasks: data + protocol + metric + baselines, in one registry.

A :class:`Task` names the reference data it needs (paths under the reference-data folder), states
its protocol, metrics and baselines (peers or simple predictors it is compared against), and has a
``run(options) -> TaskResult`` function. ``available()`` says, without running anything, whether it
can run here (data present, implementation landed); ``run_task`` refuses a task that cannot, with
the reason, and never returns a made-up number.

    >>> from yeastcell.bench import list_tasks, run_task
    >>> [t.name for t in list_tasks()]                       # doctest: +SKIP
    >>> run_task("sbml", {"cases": "1-5"}).to_markdown()      # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..exceptions import UnknownNameError, YeastcellError
from ..refdata import ReferenceDataNotFound, reference_data_dir


class TaskUnavailableError(YeastcellError, RuntimeError):
    """A benchmark task cannot run here (reference data missing, implementation not landed)."""


class TaskOptionError(YeastcellError, ValueError):
    """An option given to a benchmark task is unknown or has a bad value."""


@dataclasses.dataclass(frozen=True)
class Option:
    """One setting of a task: type (int, float, str or bool), default, help text."""

    type: type
    default: Any
    help: str

    def parse(self, name: str, value: Any) -> Any:
        if isinstance(value, self.type) and not (self.type is int and isinstance(value, bool)):
            return value
        text = str(value).strip()
        try:
            if self.type is bool:
                if text.lower() in ("1", "true", "yes", "on"):
                    return True
                if text.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(text)
            return self.type(text)
        except ValueError:
            raise TaskOptionError(f"option {name}={value!r}: expected {self.type.__name__}") from None


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """The outcome of one task run: a table (columns, rows), headline metrics, notes.

    Attributes:
        task: task name.
        columns: table header.
        rows: table rows (same length as ``columns``; numbers or text).
        metrics: headline numbers by name (units in the name, e.g. ``"ms_per_trajectory"``).
        notes: free text printed under the table (settings, caveats).
    """

    task: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    metrics: Mapping[str, float] = dataclasses.field(default_factory=dict)
    notes: str = ""

    def __post_init__(self):
        for r in self.rows:
            if len(r) != len(self.columns):
                raise ValueError(f"task {self.task}: row {r!r} has {len(r)} cells, header has {len(self.columns)}")

    def to_markdown(self) -> list[str]:
        """The table as markdown lines (numbers with 4 significant digits)."""

        def cell(x):
            if isinstance(x, float):
                return f"{x:.4g}"
            return str(x).replace("|", "\\|")

        out = ["| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        out += ["| " + " | ".join(cell(x) for x in r) + " |" for r in self.rows]
        if self.notes:
            out += ["", self.notes]
        return out

    def to_frame(self):
        """The table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(list(self.rows), columns=list(self.columns))


@dataclasses.dataclass(frozen=True)
class Task:
    """A benchmark task.

    Attributes:
        name: short id used on the command line (``yeastcell bench run NAME``).
        title: one line.
        description: what is measured and why (a paragraph).
        data: files or folders it needs, relative to the reference-data folder.
        protocol: how the numbers are produced (work, settings, what is timed or scored).
        metrics: metric names and meanings.
        baselines: peers or baseline predictors measured in the same run.
        run: ``run(options: dict) -> TaskResult``; options are validated against ``options``.
        options: settings the run function takes, with defaults.
        quick: option values of a small smoke-test setting (``--quick``).
        requires: a callable returning None when the implementation is there, else the reason
            it is not (e.g. a benchmark script that has not landed).
    """

    name: str
    title: str
    description: str
    data: tuple[str, ...]
    protocol: str
    metrics: tuple[str, ...]
    baselines: tuple[str, ...]
    run: Callable[[dict], TaskResult]
    options: Mapping[str, Option] = dataclasses.field(default_factory=dict)
    quick: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    requires: Callable[[], str | None] | None = None

    def missing_data(self) -> list[str]:
        """Reference files of ``data`` that are absent."""
        if not self.data:
            return []
        root = reference_data_dir()
        return [d for d in self.data if not (root / d).exists()]

    def unavailable_reason(self) -> str | None:
        """None if the task can run here, else why not."""
        if self.requires is not None:
            why = self.requires()
            if why:
                return why
        try:
            missing = self.missing_data()
        except ReferenceDataNotFound as err:
            return f"needs the reference data ({', '.join(self.data)}): {err}"
        if missing:
            return (
                f"reference data missing under {reference_data_dir()}: {', '.join(missing)} "
                "(set YEASTCELL_REFERENCE_DATA)"
            )
        return None

    def status(self) -> str:
        """``"available"`` or ``"not yet available: <reason>"``."""
        why = self.unavailable_reason()
        return "available" if why is None else f"not yet available: {why}"

    def resolve_options(self, given: Mapping[str, Any] | None = None, quick: bool = False) -> dict:
        """Defaults, then the quick setting, then ``given``; unknown names raise with suggestions."""
        out = {k: o.default for k, o in self.options.items()}
        if quick:
            out.update(self.quick)
        for k, v in (given or {}).items():
            if k not in self.options:
                raise UnknownNameError(f"{self.name} option", k, self.options)
            out[k] = self.options[k].parse(k, v)
        return out


_REGISTRY: dict[str, Task] = {}


def register(task: Task, *, replace: bool = False) -> Task:
    """Add a task to the registry (``replace=True`` to overwrite one of the same name)."""
    if not isinstance(task, Task):
        raise TypeError(f"register() takes a Task, got {type(task).__name__}")
    if task.name in _REGISTRY and not replace:
        raise ValueError(f"a benchmark task named {task.name!r} is already registered")
    _REGISTRY[task.name] = task
    return task


def list_tasks() -> list[Task]:
    """All registered tasks, in registration order."""
    return list(_REGISTRY.values())


def get_task(name: str) -> Task:
    """The task called ``name``.

    Raises:
        UnknownNameError: listing close matches.
    """
    if name not in _REGISTRY:
        raise UnknownNameError("benchmark task", name, _REGISTRY)
    return _REGISTRY[name]


def run_task(name: str, options: Mapping[str, Any] | None = None, *, quick: bool = False) -> TaskResult:
    """Run a task by name with validated options.

    Raises:
        UnknownNameError: no such task (close matches listed).
        TaskUnavailableError: the task cannot run here (reason given).
        TaskOptionError: an option has a bad value.
    """
    task = get_task(name)
    opts = task.resolve_options(options, quick=quick)
    why = task.unavailable_reason()
    if why:
        raise TaskUnavailableError(f"benchmark task {name!r} is not available: {why}")
    res = task.run(opts)
    if not isinstance(res, TaskResult):
        raise TypeError(f"task {name!r} returned {type(res).__name__}, not TaskResult")
    return res


def table_from_markdown(
    task: str, lines: Sequence[str], notes: str = "", metrics: Mapping[str, float] | None = None
) -> TaskResult:
    """A TaskResult from the first markdown table in ``lines`` (as benchmark scripts print them)."""
    rows: list[str] = []
    for ln in lines:  # the first contiguous run of table lines
        if ln.strip().startswith("|"):
            rows.append(ln.strip())
        elif rows:
            break
    if len(rows) < 2:
        raise ValueError(f"task {task}: no markdown table in the output")
    split = [[c.strip() for c in r.strip("|").split("|")] for r in rows]
    header, body = split[0], [r for r in split[2:]]
    width = len(header)
    padded = [tuple((r + [""] * width)[:width]) for r in body]
    return TaskResult(task, tuple(header), tuple(padded), dict(metrics or {}), notes)

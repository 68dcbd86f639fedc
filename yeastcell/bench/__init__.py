"""Benchmarks for virtual cells: a registry of tasks (data + protocol + metric + baselines).

    yeastcell bench list
    yeastcell bench run TASK [--quick] [--set KEY=VALUE ...] [--record]

Each task returns a :class:`TaskResult` (a table measured in that run). The registry does no file
writing: ``yeastcell bench run --record`` and the scripts in ``benchmarks/`` write the table into
the section of their benchmark in ``benchmarks/RESULTS.md`` (:mod:`yeastcell.results_file`). See
``docs/benchmarks.md`` for adding a task or scoring an outside model.

Registration goes one way: :mod:`.task` holds the registry and imports no task; :mod:`.tasks`
imports the registry and registers the built-in tasks; this package imports :mod:`.tasks`.
"""

from . import tasks as tasks  # registers the built-in tasks (it imports the registry, .task)
from .task import Option as Option
from .task import Task as Task
from .task import TaskOptionError as TaskOptionError
from .task import TaskResult as TaskResult
from .task import TaskUnavailableError as TaskUnavailableError
from .task import get_task as get_task
from .task import list_tasks as list_tasks
from .task import register as register
from .task import run_task as run_task
from .task import table_from_markdown as table_from_markdown

"""Benchmarks for virtual cells: a registry of tasks (data + protocol + metric + baselines).

    yeastcell bench list
    yeastcell bench run TASK [--quick] [--set KEY=VALUE ...] [--record]

Each task returns a :class:`TaskResult` (a table measured in that run); ``record`` appends it to
``benchmarks/RESULTS.md`` atomically. See ``docs/benchmarks.md`` for adding a task or scoring an
outside model.
"""

from ._results import (
    checkout_dir as checkout_dir,
)
from ._results import (
    default_results_path as default_results_path,
)
from ._results import (
    machine as machine,
)
from ._results import (
    record as record,
)
from ._results import (
    reference_data_dir as reference_data_dir,
)
from .task import (
    Option as Option,
)
from .task import (
    Task as Task,
)
from .task import (
    TaskOptionError as TaskOptionError,
)
from .task import (
    TaskResult as TaskResult,
)
from .task import (
    TaskUnavailableError as TaskUnavailableError,
)
from .task import (
    get_task as get_task,
)
from .task import (
    list_tasks as list_tasks,
)
from .task import (
    register as register,
)
from .task import (
    run_task as run_task,
)
from .task import (
    table_from_markdown as table_from_markdown,
)

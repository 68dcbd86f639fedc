"""XLA:CPU runs small while loops as single kernels (set at import, before JAX starts its backend).

Why: XLA's CPU runtime executes a compiled program as a sequence of "thunks", one per fused kernel,
dispatched one after another; a `while_loop` runs its body's thunks again in every iteration. The
solvers are while loops over steps whose bodies hold hundreds of small kernels (the right-hand side
of an imported SBML model alone is ~200 of them), so a single trajectory pays the dispatch of every
kernel at every step: on Teusink 2000 (21 symbols) ~600 kernels per BDF step, ~34 µs per step, most of
the 20 ms of the solve. XLA has a pass that outlines a while loop whose buffers total less than
``xla_cpu_small_while_loop_byte_threshold`` bytes (default 1 kB) into one compiled kernel; the
solver loops of one trajectory carry 20 kB to 1 MB (the save buffer, the BDF history, the LU
factors), so by default none of them qualifies.

`import yeastcell` raises that threshold to `SMALL_LOOP_BYTES` (1 MB) in ``XLA_FLAGS``, unless:

- ``YEASTCELL_XLA_SMALL_LOOP_BYTES`` is set: a number of bytes to use instead, or ``off`` (``0``,
  ``false``, ``no``) to leave XLA's default;
- ``XLA_FLAGS`` already sets ``xla_cpu_small_while_loop_byte_threshold`` (the user's value wins);
- JAX's backends are already running (XLA read its flags when they started; nothing can be changed
  then, and yeastcell leaves a debug log line).

The option is process-wide: it applies to every program compiled afterwards, the user's own
included, and to child processes (they inherit ``XLA_FLAGS``). It changes which code XLA generates,
not the arithmetic: trajectories agree with the default runtime to ~1e-12 relative (rounding of
differently fused code). Batches of many lanes carry more than 1 MB and are unchanged.

Measured (2-core Intel Xeon, JAX 0.10.2, one trajectory, ms after compilation; default → 1 MB;
`docs/solvers.md` has the table): core model under BatchBDF 19.7 → 11.4 (under Rodas4P ~19 either
way), Teusink 2000 imported (BatchBDF) 26 → 12, Y3M1 glucose pulse (BatchBDF, state events) 51 → 26,
whole cell (Rodas4P) ~600 either way; one model got slower: Tyson 2001 under BatchBDF with its
division events 31 → 47 (still faster than its 109 ms under the event-located Rodas4P). XLA's
experimental multi-output fusion (``xla_cpu_use_multi_output_fusion``) made Teusink faster still
(9.4 ms) but crashed XLA's compiler on the core model's batch-1000 program, so it is not used.
"""

from __future__ import annotations

import logging
import os

from ._device import jax_backends_started

SMALL_LOOP_BYTES = 1_000_000
OPTION = "xla_cpu_small_while_loop_byte_threshold"
ENV = "YEASTCELL_XLA_SMALL_LOOP_BYTES"
_OFF = ("off", "0", "false", "no")
_EXTRA = "--xla_backend_extra_options="

log = logging.getLogger(__name__)


def with_small_loop_threshold(xla_flags: str, threshold: int) -> str:
    """``XLA_FLAGS`` with the small-while-loop threshold added to its backend extra options (merged
    into an existing ``--xla_backend_extra_options=`` flag, else appended); unchanged when the
    option is already there."""
    if OPTION in xla_flags:
        return xla_flags
    words = xla_flags.split()
    entry = f"{OPTION}={int(threshold)}"
    for i, w in enumerate(words):
        if w.startswith(_EXTRA):
            rest = w[len(_EXTRA) :]
            words[i] = _EXTRA + (f"{rest},{entry}" if rest else entry)
            return " ".join(words)
    return " ".join([*words, _EXTRA + entry])


def threshold_from_env(value: str | None) -> int | None:
    """The threshold ``YEASTCELL_XLA_SMALL_LOOP_BYTES`` asks for: `SMALL_LOOP_BYTES` when unset,
    None for ``off``.

    Raises:
        ValueError: a value that is neither ``off`` nor a non-negative whole number of bytes."""
    if value is None or not value.strip():
        return SMALL_LOOP_BYTES
    v = value.strip().lower()
    if v in _OFF:
        return None
    if not v.isdigit():
        raise ValueError(f"{ENV}={value!r}: expected a number of bytes or 'off'")
    return int(v)


def hoist_small_loops_unless_set() -> bool:
    """Set the threshold in ``XLA_FLAGS`` (module docstring); True when it was set here."""
    threshold = threshold_from_env(os.environ.get(ENV))
    if threshold is None:
        return False
    flags = os.environ.get("XLA_FLAGS", "")
    new = with_small_loop_threshold(flags, threshold)
    if new == flags:  # the user's value of the option is there
        return False
    if jax_backends_started():
        log.debug("JAX's backends already run: %s not set (XLA read its flags at start)", OPTION)
        return False
    os.environ["XLA_FLAGS"] = new
    return True

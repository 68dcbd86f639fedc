"""Solver status codes: failure is a value inside jit, a message at the boundary.

`Trajectory.status` and `SteadyState.status` hold one of these integers per trajectory.
"""

from __future__ import annotations

import enum

import diffrax
import jax.numpy as jnp

from .exceptions import SolverError


class Status(enum.IntEnum):
    SUCCESS = 0
    MAX_STEPS = 1
    STEP_SIZE_TOO_SMALL = 2
    NONLINEAR_SOLVE_FAILED = 3
    NONFINITE = 4
    NEGATIVE_CONCENTRATION = 5
    NO_STEADY_STATE = 6
    SOLVER_ERROR = 7
    TOO_MANY_EVENTS = 8

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    Status.SUCCESS: "success",
    Status.MAX_STEPS: "the maximum number of solver steps was reached (stiff or very long horizon): "
    "increase max_steps or loosen rtol/atol",
    Status.STEP_SIZE_TOO_SMALL: "the step size fell below its minimum (the system is too stiff or singular)",
    Status.NONLINEAR_SOLVE_FAILED: "the implicit solver's Newton iteration failed to converge (stiffness)",
    Status.NONFINITE: "the state became NaN or infinite",
    Status.NEGATIVE_CONCENTRATION: "a concentration became significantly negative",
    Status.NO_STEADY_STATE: "no steady state was reached within the time limit",
    Status.SOLVER_ERROR: "the ODE solver reported an internal error",
    Status.TOO_MANY_EVENTS: "the maximum number of event executions was reached (events firing in a loop?): "
    "increase SolverOptions.max_events",
}


def from_diffrax(result) -> jnp.ndarray:
    """Map a diffrax `RESULTS` item (possibly batched) to a `Status` code array."""
    R = diffrax.RESULTS
    code = jnp.where(result == R.successful, Status.SUCCESS, Status.SOLVER_ERROR)
    code = jnp.where(result == R.event_occurred, Status.SUCCESS, code)
    code = jnp.where(result == R.max_steps_reached, Status.MAX_STEPS, code)
    code = jnp.where(result == R.dt_min_reached, Status.STEP_SIZE_TOO_SMALL, code)
    for bad in ("nonlinear_max_steps_reached", "nonlinear_divergence", "singular", "breakdown", "stagnation"):
        code = jnp.where(result == getattr(R, bad), Status.NONLINEAR_SOLVE_FAILED, code)
    code = jnp.where((result == R.nonfinite) | (result == R.nonfinite_input), Status.NONFINITE, code)
    return code.astype(jnp.int32)


def first_failure(status, code) -> jnp.ndarray:
    """The status after a solver stage that reported `code`: the first failure is kept (an earlier
    failure is never overwritten by a later stage's code). Both may be batched (broadcast)."""
    return jnp.where(status == Status.SUCCESS, code, status).astype(jnp.int32)


def fail_where(status, condition, code: Status) -> jnp.ndarray:
    """`status` set to `code` where it was still successful and `condition` holds (traceable)."""
    return jnp.where((status == Status.SUCCESS) & condition, code, status).astype(jnp.int32)


def check_state(conc, status, negative_tol: float | None) -> jnp.ndarray:
    """The status of a solved trajectory after the state checks: NaN/inf anywhere in `conc` (mM) is
    `NONFINITE`; a concentration below ``-negative_tol`` is `NEGATIVE_CONCENTRATION` (None: no check).
    One trajectory (conc (n_t, n)), or vmap it."""
    status = fail_where(status, ~jnp.all(jnp.isfinite(conc)), Status.NONFINITE)
    if negative_tol is not None:
        status = fail_where(status, jnp.any(conc < -negative_tol), Status.NEGATIVE_CONCENTRATION)
    return status


def describe(code: int) -> str:
    return f"{Status(int(code)).name}: {Status(int(code)).message}"


def raise_for_status(status, what: str, labels: tuple[str, ...] = ()) -> None:
    """Raise `SolverError` naming every failed item (up to 10) of a status array; return otherwise.

    Args:
        status: status code(s), any shape (flattened).
        what: plural noun for the message, e.g. "trajectories", "steady-state solves".
        labels: optional label per item (perturbation names).
    """
    import numpy as np

    codes = np.atleast_1d(np.asarray(status)).ravel()
    bad = np.nonzero(codes != Status.SUCCESS)[0]
    if bad.size:
        lines = [f"  [{i}] {labels[i] if i < len(labels) else ''}: {describe(codes[i])}" for i in bad[:10]]
        raise SolverError(f"{bad.size} of {codes.size} {what} failed:\n" + "\n".join(lines))

"""Solver status codes: failure is a value inside jit, a message at the boundary.

`Trajectory.status` and `SteadyState.status` hold one of these integers per trajectory.
"""

from __future__ import annotations

import enum

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
    # not a failure: a solved trajectory that left the physiological bounds of `yeastcell.bounds`
    # (held in `Trajectory.warning`, never in `Trajectory.status`; `.ok` stays True)
    IMPLAUSIBLE_STATE = 9

    @property
    def is_warning(self) -> bool:
        return self in WARNINGS

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
    Status.IMPLAUSIBLE_STATE: "solved, but the state left the physiological bounds of yeastcell.bounds "
    "(see Trajectory.warnings)",
}

WARNINGS = frozenset({Status.IMPLAUSIBLE_STATE})


def from_diffrax(result) -> jnp.ndarray:
    """Map a diffrax `RESULTS` item (possibly batched) to a `Status` code array."""
    import diffrax

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


def check_partial(conc, ts, status, t_failed, negative_tol: float | None):
    """`check_state` for a trajectory that keeps its values up to a failure: (status, t_failed).

    A failure found here (a non-finite value, or a concentration below ``-negative_tol`` mM, in a
    lane the solver reported successful) sets `t_failed` to the first save time where it shows;
    a lane the solver stopped keeps its status and `t_failed`. One trajectory (conc (n_t, n),
    ts (n_t,)), or vmap it. The caller masks the values after `t_failed` (NaN).
    """
    # a solver that failed without saying where: the save times before the first non-finite row
    row_ok = jnp.all(jnp.isfinite(conc), axis=1)
    n_ok = jnp.argmin(jnp.concatenate([row_ok, jnp.zeros((1,), bool)]))
    from_rows = jnp.where(n_ok > 0, ts[jnp.maximum(n_ok - 1, 0)], -jnp.inf)
    t_failed = jnp.where((status != Status.SUCCESS) & (t_failed == jnp.inf), from_rows, t_failed)
    reached = ts <= t_failed
    bad = reached[:, None] & ~jnp.isfinite(conc)
    if negative_tol is not None:
        bad = bad | (reached[:, None] & (conc < -negative_tol))
    bad_t = jnp.any(bad, axis=1)
    first = jnp.argmax(bad_t)
    new = check_state(jnp.where(reached[:, None], conc, 0.0), status, negative_tol)
    t_failed = jnp.where((status == Status.SUCCESS) & jnp.any(bad_t), ts[first], t_failed)
    return new, t_failed


def describe(code: int) -> str:
    return f"{Status(int(code)).name}: {Status(int(code)).message}"


def raise_for_status(status, what: str, labels: tuple[str, ...] = (), details=()) -> None:
    """Raise `SolverError` naming every failed item (up to 10) of a status array; return otherwise.

    Args:
        status: status code(s), any shape (flattened).
        what: plural noun for the message, e.g. "trajectories", "steady-state solves".
        labels: optional label per item (perturbation names).
        details: optional text per item appended to its line (e.g. where a solve stopped).
    """
    import numpy as np

    codes = np.atleast_1d(np.asarray(status)).ravel()
    bad = np.nonzero(codes != Status.SUCCESS)[0]
    if bad.size:
        lines = [
            f"  [{i}] {labels[i] if i < len(labels) else ''}: {describe(codes[i])}"
            + (f"; {details[i]}" if i < len(details) and details[i] else "")
            for i in bad[:10]
        ]
        raise SolverError(f"{bad.size} of {codes.size} {what} failed:\n" + "\n".join(lines))

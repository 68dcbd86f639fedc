"""The XLA:CPU small-loop threshold that `import yeastcell` sets (yeastcell._xla_cpu_loops)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from yeastcell._xla_cpu_loops import OPTION, SMALL_LOOP_BYTES, threshold_from_env, with_small_loop_threshold


def test_appended_when_absent():
    assert with_small_loop_threshold("", 1000) == f"--xla_backend_extra_options={OPTION}=1000"
    assert (
        with_small_loop_threshold("--xla_dump_to=/x", 5) == f"--xla_dump_to=/x --xla_backend_extra_options={OPTION}=5"
    )


def test_merged_into_the_users_extra_options():
    flags = "--xla_backend_extra_options=xla_cpu_use_acl --xla_dump_to=/x"
    assert with_small_loop_threshold(flags, 7) == (
        f"--xla_backend_extra_options=xla_cpu_use_acl,{OPTION}=7 --xla_dump_to=/x"
    )


def test_the_users_value_wins():
    flags = f"--xla_backend_extra_options={OPTION}=0"
    assert with_small_loop_threshold(flags, 10**6) == flags


def test_environment_values():
    assert threshold_from_env(None) == SMALL_LOOP_BYTES
    assert threshold_from_env("") == SMALL_LOOP_BYTES
    assert threshold_from_env("off") is None
    assert threshold_from_env(" 0 ") is None
    assert threshold_from_env("65536") == 65536
    with pytest.raises(ValueError, match="YEASTCELL_XLA_SMALL_LOOP_BYTES"):
        threshold_from_env("1e6")


def _flags_after_import(env: dict[str, str], before: str = "") -> str:
    code = f"{before}import os, yeastcell; print(os.environ.get('XLA_FLAGS', ''))"
    base = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "YEASTCELL_XLA_SMALL_LOOP_BYTES")}
    out = subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_import_sets_it_only_before_the_backends_start():
    assert f"{OPTION}={SMALL_LOOP_BYTES}" in _flags_after_import({})
    assert OPTION not in _flags_after_import({"YEASTCELL_XLA_SMALL_LOOP_BYTES": "off"})
    # JAX already computed: XLA has read its flags, so yeastcell leaves them alone
    assert OPTION not in _flags_after_import({}, before="import jax.numpy as jnp; jnp.zeros(1).block_until_ready(); ")

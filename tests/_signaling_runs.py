"""Simulations of the whole-cell model shared by the signaling tests (computed once per process).

All perturbations run as one vmapped batch on one time grid, so the whole-cell model is compiled once;
a second batch of the same shape (same size, same number of event slots) reuses the compiled program.
Units: mM, min.
"""

from __future__ import annotations

import functools
import os

import numpy as np

import yeastcell as yc
from yeastcell.perturb import Combined

MODEL = os.environ.get("YEASTCELL_SIGNALING_TEST_MODEL", "yeast_cell")
T_PULSE = 60.0  # min: glucose pulse / drug addition
# coarse over 10 h (proteome time scale: turnover + dilution about 0.0047 /min, 4 half-times), fine around
# the pulse (signaling time scale)
T = np.unique(np.concatenate([np.linspace(0.0, 600.0, 31), np.linspace(T_PULSE, T_PULSE + 10.0, 41)]))

# stage 2 (60 min of batch culture) on a grid of the same length: the compiled program is reused
T2 = np.linspace(0.0, 60.0, len(T))

_O2_F26BP = yc.clamp("O2_c", 0.2) + yc.clamp("F26BP_c", 0.02)


def glucose_medium(glc_mM: float):
    """Aerated medium clamped at `glc_mM` glucose, no ethanol or glycerol (as aerobic_clamped)."""
    return yc.medium({"GLC_e": glc_mM, "ETOH_e": 0.0, "GLY_e": 0.0}, clamped=True) + _O2_F26BP


def ethanol_medium():
    """Shift to ethanol: no glucose, 100 mM ethanol (0.46 % w/v), clamped and aerated."""
    return yc.medium({"GLC_e": 0.0, "ETOH_e": 100.0, "GLY_e": 0.0}, clamped=True) + _O2_F26BP


def glucose_pulse():
    """Glucose-limited cells (1 mM glucose) given 2 % glucose (111 mM) at T_PULSE."""
    return glucose_medium(1.0) + yc.step("GLC_e", 111.0, T_PULSE)


RAPAMYCIN_200NG_ML = 200e-9 / 914.2 * 1e3 * 1e3  # mM: 200 ng/mL of rapamycin (914.2 g/mol) = 2.19e-4 mM


def rapamycin(dose_mM: float = RAPAMYCIN_200NG_ML):
    """Rapamycin added to the medium at T_PULSE (cells in 2 % glucose, ammonium)."""
    return yc.condition("aerobic_clamped") + yc.step("RAP_e", dose_mM, T_PULSE)


def nitrogen_starvation():
    """Ammonium removed from the medium at T_PULSE (cells in 2 % glucose)."""
    return yc.condition("aerobic_clamped") + yc.step("NH4_e", 0.0, T_PULSE)


STAGE1 = {
    "wt": yc.condition("aerobic_clamped"),
    "hxk2": yc.condition("aerobic_clamped") + yc.knockout("HXK2"),
    "mig1": yc.condition("aerobic_clamped") + yc.knockout("MIG1"),
    "eth": ethanol_medium(),
    "eth_snf1": ethanol_medium() + yc.knockout("SNF1"),
    "pulse": glucose_pulse(),
    "pulse_gpr1": glucose_pulse() + yc.knockout("GPR1"),
    "pulse_tpk12": glucose_pulse() + yc.knockout("TPK1", "TPK2"),
    "tpk123": yc.condition("aerobic_clamped") + yc.knockout("TPK1", "TPK2", "TPK3"),
    "sch9": yc.condition("aerobic_clamped") + yc.knockout("SCH9"),
    "rap": rapamycin(),
    # 2 pg/mL: partial inhibition within the hour (uptake-limited; FKBP12 captures nearly all drug that
    # enters; see docs/signaling.md on the model's rapamycin sensitivity)
    "rap_low": rapamycin(RAPAMYCIN_200NG_ML * 1e-5),
    "rap_fpr1": rapamycin() + yc.knockout("FPR1"),
    "nstarve": nitrogen_starvation(),
    "nstarve_gln3": nitrogen_starvation() + yc.knockout("GLN3"),
}


@functools.cache
def cell():
    return yc.load_cell(MODEL)


@functools.cache
def stage1() -> dict:
    """name -> Trajectory of every STAGE1 perturbation (one batch)."""
    b = yc.simulate_batch(cell(), list(STAGE1.values()), T, strategy="vmap")
    return {name: b[i] for i, name in enumerate(STAGE1)}


def preculture(traj, skip=()):
    """Initial levels of every protein, complex and signal species taken from the end of `traj`
    (a strain grown long enough for its proteome to settle), except the species in `skip`."""
    spec = cell().spec
    # max(., 0): solver round-off leaves some forms at -1e-32 mM, which `initial` rightly rejects
    parts = [
        yc.initial(s.id, max(float(traj.species(s.id)[-1]), 0.0))
        for s in spec.species
        if s.kind != "metabolite" and not s.constant and s.id not in skip
    ]
    return Combined(tuple(parts))


@functools.cache
def stage2() -> dict:
    """Fresh aerobic batch cultures (2 % glucose, medium not clamped) inoculated with cells pre-grown on
    glucose (their proteome after 10 h in 2 % glucose, stage 1); same batch shape as stage 1 (no recompilation)."""
    s1 = stage1()
    batch = yc.condition("aerobic_batch")
    set_by_condition = {"Adh2", "Acs1"}
    perts = {
        "wt": batch + preculture(s1["wt"], set_by_condition),
        "hxk2": batch + yc.knockout("HXK2") + preculture(s1["hxk2"], set_by_condition | {"Hxk2"}),
    }
    names = list(perts) + [f"pad{i}" for i in range(len(STAGE1) - len(perts))]
    pad = [STAGE1["pulse"]] * (len(STAGE1) - len(perts))  # keeps one event slot: same compiled shape
    b = yc.simulate_batch(cell(), list(perts.values()) + pad, T2, strategy="vmap")
    return {name: b[i] for i, name in enumerate(names) if not name.startswith("pad")}

"""Really trained networks, healthy and deliberately broken, against the health checks.

The models, their test CSVs and the framework's own outputs are in
tests/fixtures/trained/, made by make_trained.py there (Keras 3 and PyTorch,
in a throwaway virtual environment; not needed to run these tests). Its
manifest.json lists the cases: a healthy network must pass ``neurodebug check``
(exit 0); a broken one must fail it (exit 1) with a "problem" on the very
neuron that was broken (on every one of them, when the break lists several
``neurons``). A break neurodebug is known not to find is listed in
KNOWN_MISSES and expected to fail (strictly: catching it fails the test, so
the list gets updated). tests/fixtures/trained/evaluate.py measures the same
cases on fewer rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neurodebug.cli import main
from neurodebug.io import load_network
from neurodebug.engine.trace import forward

TRAINED = Path(__file__).parent / "fixtures" / "trained"
CASES: list[dict[str, Any]] = json.loads((TRAINED / "manifest.json").read_text())
IDS = [c["name"] for c in CASES]
# The finding kind each kind of break must produce: raw inputs into a sigmoid
# or tanh network trained on standardised ones show up as saturated first-layer
# neurons (into a ReLU network: see KNOWN_MISSES).
FINDING_KIND = {"saturated": "saturated", "dead": "dead", "nonfinite": "nonfinite", "unscaled": "saturated"}
# Breaks neurodebug does not find (yet), with what it reports instead.
KNOWN_MISSES = {
    "digits_torch_unscaled": (
        "raw 0..16 pixels into a ReLU network trained on standardised ones: z grows to ~76, nothing saturates, "
        "dies or explodes, and the raw-input rule is for sigmoid/tanh only; the only problem is the wrong "
        "outputs (24% of the 200 rows), on the output layer, not on layer 1"
    ),
}


def broken_neurons(brk: dict[str, Any]) -> list[int]:
    """The neurons a break names, 1-based: its ``neurons`` list, or the one ``neuron``."""
    return list(brk.get("neurons") or [brk["neuron"]])


def has_label_column(csv: Path) -> bool:
    with open(csv) as fh:
        return "label" in fh.readline().strip().split(",")


def test_the_manifest_is_complete() -> None:
    assert len(CASES) >= 8
    assert {c["healthy"] for c in CASES} == {True, False}
    for case in CASES:
        assert (case["break"] is None) == case["healthy"], case["name"]
        for key in ("model", "inputs"):
            assert (TRAINED / case[key]).stat().st_size < 200_000, case[key]
        assert (TRAINED / f"{case['model']}.expected.json").stat().st_size < 200_000
        if case["break"] is not None:
            brk = case["break"]
            assert brk["kind"] in FINDING_KIND and brk["layer"] >= 1 and brk["neuron"] >= 1, case["name"]
            if "neurons" in brk:  # several broken neurons: ``neuron`` is the first of them
                assert brk["neurons"] and brk["neurons"][0] == brk["neuron"], case["name"]
                assert all(n >= 1 for n in brk["neurons"]) and len(set(brk["neurons"])) == len(brk["neurons"])
        elif case["test_accuracy"] is None:  # a regression: no labels, an R² instead
            assert not has_label_column(TRAINED / case["inputs"]), case["name"]
            assert case["test_r2"] >= 0.9, case["name"]
        else:
            assert case["test_accuracy"] >= 0.9, case["name"]
    assert set(KNOWN_MISSES) <= {c["name"] for c in CASES if not c["healthy"]}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_matches_the_framework(case: dict[str, Any]) -> None:
    expected = json.loads((TRAINED / f"{case['model']}.expected.json").read_text())
    assert expected["model"] == case["model"]
    x = np.asarray(expected["x"], dtype=np.float64)
    want = np.asarray(expected["y"], dtype=np.float64)
    # The inputs the framework saw are the CSV's feature columns (the last one
    # is the label, when there is one).
    rows = np.loadtxt(TRAINED / case["inputs"], delimiter=",", skiprows=1, ndmin=2)
    np.testing.assert_array_equal(rows[:, :-1] if has_label_column(TRAINED / case["inputs"]) else rows, x)
    got = forward(load_network(TRAINED / case["model"]), x)
    # float32 models; NaN and ±inf must sit where the framework put them (assert_allclose checks that)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def check_json(capsys: pytest.CaptureFixture[str], case: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    code = main(["check", str(TRAINED / case["model"]), "--inputs", str(TRAINED / case["inputs"]),
                 "--format", "json"])
    out = capsys.readouterr()
    assert code in (0, 1), f"{case['model']}: exit {code}: {out.err.strip()}"
    return code, json.loads(out.out)


def listing(doc: dict[str, Any]) -> str:
    return doc["summary"] + "".join(
        f"\n  {f['kind']} L{f['layer']}.N{f['neuron']} severity={f.get('severity')}: {f['message']}"
        for f in doc["findings"]
    )


@pytest.mark.parametrize("case", [c for c in CASES if c["healthy"]], ids=[c["name"] for c in CASES if c["healthy"]])
def test_a_healthy_network_passes_check(capsys: pytest.CaptureFixture[str], case: dict[str, Any]) -> None:
    code, doc = check_json(capsys, case)
    assert code == 0, listing(doc)
    assert doc["ok"] is True


BROKEN = [
    pytest.param(c, id=c["name"], marks=[pytest.mark.xfail(reason=KNOWN_MISSES[c["name"]], strict=True)]
                 if c["name"] in KNOWN_MISSES else [])
    for c in CASES if not c["healthy"]
]


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_network_is_caught_at_the_broken_neuron(capsys: pytest.CaptureFixture[str],
                                                          case: dict[str, Any]) -> None:
    brk = case["break"]
    kind = FINDING_KIND[brk["kind"]]
    code, doc = check_json(capsys, case)
    assert code == 1, listing(doc)
    for neuron in broken_neurons(brk):
        at = [f for f in doc["findings"] if (f["layer"], f["neuron"]) == (brk["layer"], neuron)]
        assert [f for f in at if f["kind"] == kind], (
            f"no {kind} finding at L{brk['layer']}.N{neuron} ({brk['what']}):\n" + listing(doc)
        )
        assert any(f["kind"] == kind and f.get("severity") == "problem" for f in at), listing(doc)

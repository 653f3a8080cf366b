"""The headless command line: ``neurodebug trace`` and ``neurodebug check``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from neurodebug import load_network
from neurodebug.cli import main
from neurodebug.engine import PER_LAYER, PER_NEURON, Plan
from neurodebug.engine.trace import forward

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"
SEED = str(SAMPLES / "seed_example.json")
COFFEE = str(SAMPLES / "coffee_roasting.json")
XOR = str(SAMPLES / "xor.json")
STEP_FIELDS = {"index", "kind", "layer", "layer_name", "neuron", "title", "symbolic", "formula", "result",
               "operands", "notes"}


def run(capsys, *argv: str) -> str:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == ""
    return captured.out


def run_json(capsys, *argv: str) -> dict:
    def strict(name: str) -> float:
        raise AssertionError(f"bare {name} in the JSON output")

    return json.loads(run(capsys, *argv, "--format", "json"), parse_constant=strict)


def step(doc: dict, layer: int, neuron: int | None, kind: str) -> dict:
    """The JSON step at (1-based layer, 1-based neuron or None, kind)."""
    (found,) = [s for s in doc["steps"] if (s["layer"], s["neuron"], s["kind"]) == (layer, neuron, kind)]
    return found


# -- text -----------------------------------------------------------------------------
def test_text_trace_of_the_seed(capsys) -> None:
    out = run(capsys, "trace", SEED)
    lines = out.splitlines()
    assert lines[0].startswith("seed example: 2-2-1")
    assert 'sample "seed example"' in lines[0] and "x = [200, 17]" in lines[0]
    for text in ("z = 1×200 + (−2)×17 = 166", "z = 166 + 0.5 = 166.5", "a = σ(166.5) ≈ 1.0000",
                 "z = (−0.5)×200 + 3×17 = −49", "z = −49 + 1 = −48", "a = σ(−48) ≈ 0.0000"):
        assert text in out, text
    # Every step appears, numbered from 1, in plan order.
    n_steps = len(Plan(load_network(SEED), PER_NEURON))
    numbered = [line.split()[0] for line in lines if line[:1].isdigit() or line[:2].strip().isdigit()]
    assert numbered == [str(k) for k in range(1, n_steps + 1)]
    assert lines[-1].startswith("output: good roast = 0.68997")


def test_text_trace_per_layer(capsys) -> None:
    out = run(capsys, "trace", SEED, "--per-layer")
    assert "per layer" in out.splitlines()[0]
    assert "z = [166, −49] + [0.5, 1] = [166.5, −48]" in out
    assert "neuron" not in "".join(line for line in out.splitlines()[1:] if "·" in line)


# -- JSON -------------------------------------------------------------------------------
def test_json_trace_has_one_object_per_step(capsys) -> None:
    doc = run_json(capsys, "trace", SEED)
    net = load_network(SEED)
    plan = Plan(net, PER_NEURON)
    assert doc["network"] == "seed example"
    assert doc["sample"] == "seed example"
    assert doc["granularity"] == PER_NEURON
    assert doc["edits"] == []
    assert len(doc["steps"]) == len(plan)
    for k, (obj, planned) in enumerate(zip(doc["steps"], plan)):
        assert STEP_FIELDS <= set(obj), set(obj)
        assert obj["index"] == k
        assert obj["kind"] == planned.kind
        assert obj["layer"] == planned.layer + 1
        assert obj["neuron"] == planned.neuron + 1
        assert obj["layer_name"] == net.layers[planned.layer].name
        assert ("products" in obj) == (planned.kind == "dot")
    n1_dot, n1_bias, n1_act = (step(doc, 1, 1, kind) for kind in ("dot", "bias", "activate"))
    assert n1_dot["result"] == 166.0
    assert n1_dot["products"] == [200.0, -34.0]
    assert n1_dot["operands"] == {"w": [1.0, -2.0], "x": [200.0, 17.0]}
    assert n1_dot["formula"] == "z = 1×200 + (−2)×17 = 166"
    assert n1_bias["result"] == 166.5
    assert n1_act["result"] == pytest.approx(1.0)
    assert step(doc, 1, 2, "bias")["result"] == -48.0
    assert doc["outputs"] == [pytest.approx(0.689974, abs=1e-6)]


def test_json_trace_per_layer(capsys) -> None:
    doc = run_json(capsys, "trace", SEED, "--per-layer")
    assert doc["granularity"] == PER_LAYER
    assert len(doc["steps"]) == len(Plan(load_network(SEED), PER_LAYER)) == 6
    assert all(s["neuron"] is None for s in doc["steps"])
    assert step(doc, 1, None, "bias")["result"] == [166.5, -48.0]


def test_json_trace_with_normalisation_step(capsys) -> None:
    doc = run_json(capsys, "trace", COFFEE, "--per-layer")
    first = doc["steps"][0]
    assert first["kind"] == "normalize" and first["layer"] is None and first["neuron"] is None
    assert first["result"] == [pytest.approx((215 - 220) / 35), pytest.approx((13.8 - 13.5) / 1.2)]


def test_json_trace_keeps_infinity_valid_json(capsys) -> None:
    doc = run_json(capsys, "trace", SEED, "--input", "1e308,-1e308")
    assert step(doc, 1, 1, "dot")["result"] == "Infinity"
    assert step(doc, 1, 1, "activate")["result"] == 1.0


# -- choosing the input ---------------------------------------------------------------------
def test_sample_by_name(capsys) -> None:
    out = run(capsys, "trace", COFFEE, "--sample", "scorched")
    assert 'sample "scorched"' in out.splitlines()[0]
    doc = run_json(capsys, "trace", COFFEE, "--sample", "scorched")
    assert doc["sample"] == "scorched"
    net = load_network(COFFEE)
    expected = forward(net, net.samples[net.sample_index("scorched")].x)
    assert doc["outputs"] == [pytest.approx(float(expected[0]), rel=1e-12)]


def test_sample_by_number(capsys) -> None:
    doc = run_json(capsys, "trace", COFFEE, "--sample", "2")
    assert doc["sample"] == load_network(COFFEE).samples[1].name


def test_input_option(capsys) -> None:
    given = run_json(capsys, "trace", SEED, "--input", "200,17")
    default = run_json(capsys, "trace", SEED)
    assert given["steps"] == default["steps"]
    doc = run_json(capsys, "trace", SEED, "--input", "0,0")
    assert step(doc, 1, 1, "dot")["result"] == 0.0
    assert step(doc, 1, 1, "bias")["result"] == 0.5
    assert step(doc, 1, 1, "activate")["formula"].startswith("a = σ(0.5)")


def test_input_option_on_xor(capsys) -> None:
    for x, y in (("0,0", 0.0), ("0,1", 1.0), ("1,0", 1.0), ("1,1", 0.0)):
        assert run_json(capsys, "trace", XOR, "--input", x)["outputs"] == [y]


# -- edits -----------------------------------------------------------------------------------
def test_set_a_weight(capsys) -> None:
    doc = run_json(capsys, "trace", SEED, "--set", "L1.N1.w1=0.17")
    # 0.17×200 + (−2)×17 = 34 − 34 = 0, and the bias makes it 0.5.
    assert step(doc, 1, 1, "bias")["result"] == 0.5
    assert step(doc, 1, 1, "dot")["formula"] == "z = 0.17×200 + (−2)×17 = 0"
    assert doc["edits"] == ["L1.N1.w1=0.17"]
    # Neuron 2 is untouched.
    assert step(doc, 1, 2, "bias")["result"] == -48.0
    out = run(capsys, "trace", SEED, "--set", "L1.N1.w1=0.17")
    assert "edit  L1.N1.w1: 1 → 0.17" in out
    assert "z = 0 + 0.5 = 0.5" in out


def test_set_several(capsys) -> None:
    doc = run_json(capsys, "trace", SEED, "--set", "L1.N1.w2=0", "--set", "L1.N2.b=1.5", "--set", "x1=190")
    assert step(doc, 1, 1, "dot")["result"] == 190.0
    assert step(doc, 1, 2, "bias")["result"] == -0.5 * 190 + 3 * 17 + 1.5
    assert len(doc["edits"]) == 3


@pytest.mark.parametrize("assignment", ["L9.N1.w1=0", "L1.N1.w1=abc", "L1.N1.w1", "L1.N1.w1=nan", "bogus=1"])
def test_bad_set_exits_2(capsys, assignment) -> None:
    code = main(["trace", SEED, "--set", assignment])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "--set" in lines[0] and "Traceback" not in captured.err


# -- as a program ------------------------------------------------------------------------------
def test_python_dash_m(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "neurodebug", "trace", SEED], capture_output=True, text=True,
                          timeout=60, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    assert "z = 166 + 0.5 = 166.5" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "neurodebug", "trace", SEED, "--format", "json", "--per-layer"],
                          capture_output=True, text=True, timeout=60, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["steps"]) == 6


# -- check -------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [COFFEE, XOR])
def test_check_good_files(capsys, path) -> None:
    assert main(["check", path]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip()
    assert captured.err == ""


def test_check_bad_file(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"layers": [{"activation": "relu", "W": [[1, 2], [3]], "b": [0, 0]}]}')
    assert main(["check", str(bad)]) == 2
    captured = capsys.readouterr()
    assert len(captured.err.splitlines()) == 1
    assert str(bad) in captured.err and "ragged" in captured.err


# -- one serialiser: the JSON is the session's, written by engine.serialize (issue 13) ---------
def _walk_numbers(v):
    if isinstance(v, dict):
        for x in v.values():
            yield from _walk_numbers(x)
    elif isinstance(v, list):
        for x in v:
            yield from _walk_numbers(x)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        yield v


@pytest.mark.parametrize("argv, granularity, edits", [
    ((SEED,), PER_NEURON, ()),
    ((SEED, "--per-layer"), PER_LAYER, ()),
    ((COFFEE, "--sample", "3"), PER_NEURON, ()),
    ((COFFEE, "--per-layer"), PER_LAYER, ()),
    ((SEED, "--set", "L1.N1.w2=0", "--set", "x1=190"), PER_NEURON, ("L1.N1.w2=0", "x1=190")),
])
def test_json_trace_is_the_sessions_trace_serialised(capsys, argv, granularity, edits) -> None:
    """``trace --format json`` writes what engine.serialize makes of the same session."""
    from neurodebug.engine import Session, parse_assignment
    from neurodebug.engine.serialize import trace_to_dict

    doc = run_json(capsys, "trace", *argv)
    net = load_network(argv[0])
    index = int(argv[argv.index("--sample") + 1]) - 1 if "--sample" in argv else 0
    session = Session(net, granularity=granularity, sample_index=index)
    for text in edits:
        target, value = parse_assignment(text)
        session.edit(target, value)
    details = [session.sample_trace.detail(s, session.settings) for s in session.plan]
    assert doc == json.loads(json.dumps(trace_to_dict(session, details, file=argv[0]), allow_nan=False))
    assert list(doc) == ["network", "file", "sample", "granularity", "edits", "steps", "outputs"]
    assert doc["file"] == argv[0]


def test_json_trace_numbers_are_floats_and_non_finite_ones_strings(capsys) -> None:
    """Every value of a step is a float, as it always was (never an int), and NaN/±∞
    are written by the engine's one encoding, numbers.json_number."""
    from neurodebug.engine.numbers import json_number

    doc = run_json(capsys, "trace", SEED, "--input", "1e308,-1e308")
    for s in doc["steps"]:
        values = [s["result"], s["operands"], s.get("products", [])]
        assert all(isinstance(v, float) for v in _walk_numbers(values)), s
    assert all(isinstance(v, float) for v in _walk_numbers(doc["outputs"]))
    dot = step(doc, 1, 1, "dot")
    assert dot["result"] == json_number(float("inf"))
    assert dot["products"] == [json_number(1e308), json_number(float("inf"))]


def test_step_detail_to_dict_on_an_integer_operand_keeps_floats() -> None:
    """An integer array handed to the serialiser still comes out as floats."""
    import numpy as np

    from neurodebug.engine import Session
    from neurodebug.engine.serialize import step_detail_to_dict
    from neurodebug.engine.trace import StepDetail

    session = Session(load_network(SEED))
    first = session.plan[0]
    detail = StepDetail(first, "t", "s", "f", {"w": np.array([1, -2])}, np.array(166), np.array([200, -34]),
                        ("note",))
    out = step_detail_to_dict(detail, session.network)
    assert out["operands"] == {"w": [1.0, -2.0]} and out["result"] == 166.0 and out["products"] == [200.0, -34.0]
    assert all(isinstance(v, float) for v in _walk_numbers([out["operands"], out["result"], out["products"]]))
    assert out["notes"] == ["note"] and out["layer"] == 1 and out["neuron"] == 1
    assert list(out) == ["index", "kind", "layer", "layer_name", "neuron", "title", "symbolic", "formula",
                         "result", "operands", "products", "notes"]


def test_the_cli_has_no_json_encoding_of_its_own() -> None:
    """NaN/Infinity are spelt in one place (engine.numbers): not again in the CLI."""
    import neurodebug.cli as cli

    source = Path(cli.__file__).read_text(encoding="utf-8")
    assert '"Infinity"' not in source and '"NaN"' not in source
    assert not hasattr(cli, "_plain")


def test_trace_ends_with_the_output_and_its_verdict(capsys) -> None:
    lab = str(Path(SEED).parent / "coffee_lab.json")
    for sample, want in [("1", "output: good roast = 0.97193 → class 1 (good roast), label 1: right ✓"),
                         ("2", "output: good roast = 3.29e−08 → class 0 (not good roast), label 0: right ✓")]:
        assert main(["trace", lab, "--sample", sample]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == want
    assert main(["trace", SEED, "--set", "L2.N1.b=-20"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("label 1 (good roast): wrong ✗")


def test_loss_must_fit_the_output_for_trace_and_the_debugger(capsys):
    from neurodebug.cli import main as run_main

    seed = str(Path(__file__).parent.parent / "sample_networks" / "seed_example.json")
    assert run_main(["trace", seed, "--backward", "--loss", "ce"]) == 2
    assert "--loss ce: ce needs a softmax" in capsys.readouterr().err
    assert run_main(["trace", seed, "--backward", "--loss", "mse"]) == 0
    assert "loss (mse)" in capsys.readouterr().out

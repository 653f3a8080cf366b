"""``neurodebug check``: exit codes, the text report, the JSON for scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from neurodebug.cli import main

SAMPLES = Path(__file__).resolve().parent.parent / "sample_networks"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("name", ["coffee_roasting.json", "xor.json"])
def test_healthy_samples_exit_0(capsys, name):
    code, out, err = run(capsys, str(SAMPLES / name))
    assert code == 0, out
    assert err == ""
    first, second = out.splitlines()[:2]
    assert ": valid: 2 layers" in first and "parameters" in first
    assert second.startswith("health: ok")


def test_coffee_unnormalized_names_the_saturated_neurons(capsys):
    code, out, _ = run(capsys, str(SAMPLES / "coffee_unnormalized.json"))
    assert code == 1
    for name in ("neuron 1 (too cold)", "neuron 2 (too short)", "neuron 3 (burnt)"):
        assert f"layer 1 (layer1), {name}: saturated sigmoid" in out
    assert "saturated: the slope g′(z) < 0.0001, i.e. |z| > 9.21 for sigmoid" in out
    # The explanation names the raw temperature as the dominant term.
    assert "dominant term: temperature" in out
    assert "not normalised" in out and "z would be" in out


def test_dead_relu_and_nan_overflow_exit_1(capsys):
    code, out, _ = run(capsys, str(SAMPLES / "dead_relu.json"))
    assert code == 1
    assert "layer 1 (hidden), neuron 3 (balanced): dead ReLU" in out
    assert "L1.N3.b" in out
    code, out, _ = run(capsys, str(SAMPLES / "nan_overflow.json"))
    assert code == 1
    origin = out.index("origin")
    assert out.index("neuron 1 (amplifier): produced z = ∞") > origin
    assert out.index("passed on") > origin
    assert "∞ − ∞ turned it into NaN here" in out


def test_bad_file_exits_2(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{\"layers\": []}")
    code, out, err = run(capsys, str(bad))
    assert code == 2 and out == ""
    assert err.startswith("neurodebug: error:") and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, str(tmp_path / "missing.json"))
    assert code == 2 and "no such file" in err


@pytest.mark.parametrize(
    "option, value, fragment",
    [("--saturation-slope", "0.5", "--saturation-slope"), ("--exploding-z", "-1", "--exploding-z"),
     ("--exploding-z", "nan", "--exploding-z")],
)
def test_bad_thresholds_exit_2(capsys, option, value, fragment):
    code, out, err = run(capsys, str(SAMPLES / "xor.json"), option, value)
    assert code == 2 and out == ""
    assert fragment in err


def test_thresholds_change_the_verdict(capsys):
    code, out, _ = run(capsys, str(SAMPLES / "xor.json"), "--exploding-z", "1.5")
    assert code == 1 and "exploding z: |z| > 1.5" in out and "neuron 1 (h1)" in out
    code, out, _ = run(capsys, str(SAMPLES / "coffee_roasting.json"), "--saturation-slope", "0.01")
    # σ'(z) < 0.01 past |z| ≈ 4.6: the healthy samples' |z| up to 8 now count, as
    # notes: confident neurons, in some samples only
    assert code == 0 and "notes (1" not in out and "saturated" in out.split("notes")[1]


def test_json_parses_and_lists_findings(capsys):
    code, out, _ = run(capsys, str(SAMPLES / "coffee_unnormalized.json"), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False and doc["checked"] is True
    assert doc["shape"] == "2-3-1" and doc["parameters"] == 13
    saturated = [f for f in doc["findings"] if f["kind"] == "saturated"]
    assert [(f["layer"], f["neuron"], f["neuron_name"]) for f in saturated] == [
        (1, 1, "too cold"), (1, 2, "too short"), (1, 3, "burnt"),
    ]
    assert saturated[0]["samples"] == list(range(1, 9))
    assert doc["counts"]["saturated"] == 3 and doc["counts"]["wrong_output"] == 1
    assert doc["explanations"][0]["dominant"]["name"] == "temperature"
    assert doc["explanations"][0]["normalized_z"] is not None


def test_json_with_non_finite_values_is_strict_json(capsys):
    code, out, _ = run(capsys, str(SAMPLES / "nan_overflow.json"), "--format", "json")
    assert code == 1
    doc = json.loads(out, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    origin = [f for f in doc["findings"] if f["kind"] == "nonfinite" and f["origin"]]
    assert [(f["layer"], f["neuron"], f["value"]) for f in origin] == [(1, 1, "Infinity")]
    assert doc["findings"][-1]["kind"] == "wrong_output"


def test_json_healthy(capsys):
    code, out, _ = run(capsys, str(SAMPLES / "xor.json"), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["ok"] is True and doc["findings"] == [] and doc["explanations"] == []


def test_a_file_without_samples_is_not_checked(capsys, tmp_path):
    doc = json.loads((SAMPLES / "xor.json").read_text())
    del doc["samples"]
    path = tmp_path / "bare.json"
    path.write_text(json.dumps(doc))
    code, out, _ = run(capsys, str(path))
    assert code == 0 and "not checked" in out


def test_inputs_file_replaces_the_samples(capsys, tmp_path):
    csv = tmp_path / "raw.csv"
    csv.write_text("temperature,duration\n200,17\n")
    # The normalising network scales 200 °C fine, but 17 min is 2.9 σ past the
    # mean duration: "too short" saturates even there.
    code, out, _ = run(capsys, str(SAMPLES / "coffee_roasting.json"), "--inputs", str(csv))
    # one sample cannot show a neuron stuck: a note, not a problem
    assert code == 0
    assert "ok: no problems found in 1 sample; 1 note" in out and "neuron 2 (too short): saturated" in out
    assert "too few samples (1) to call it stuck" in out
    # the same sample fed raw into the network that does not normalise: the
    # raw temperature drives the neurons there, which is a problem at once
    code, out, _ = run(capsys, str(SAMPLES / "coffee_unnormalized.json"), "--inputs", str(csv))
    assert code == 1 and "saturated sigmoid" in out and "raw, unnormalised input" in out


def test_the_installed_command(tmp_path):
    exe = Path(sys.executable).parent / "neurodebug"
    if not exe.exists():
        pytest.skip("the console script is not installed next to this Python")
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    result = subprocess.run([str(exe), "check", str(SAMPLES / "coffee_unnormalized.json")],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 1 and result.stderr == ""
    assert "neuron 1 (too cold): saturated" in result.stdout


# -- issue 11: believable verdicts and a CLI that reads what it is given ---------------
def test_the_trained_lab_network_is_healthy(capsys):
    """The course lab's own trained coffee network, on its two normalised
    test roasts: confident neurons are notes, and the check passes."""
    code, out, _ = run(capsys, str(SAMPLES / "coffee_lab.json"))
    assert code == 0, out
    assert "health: ok: no problems found in 2 samples; 4 notes (3 saturated, 1 cannot learn)" in out
    assert "confidently right" in out
    code, out, _ = run(capsys, str(SAMPLES / "coffee_lab.json"), "--format", "json")
    doc = json.loads(out)
    assert doc["ok"] is True and doc["problems"] == 0 and doc["notes"] == 4
    assert [f["severity"] for f in doc["findings"]] == ["note"] * 4


def test_a_negative_first_input_value_is_the_input_not_an_option(capsys):
    code, out, err = run(capsys, str(SAMPLES / "coffee_lab.json"), "--input", "-0.46714,0.41591")
    assert code == 0 and err == "" and "1 sample" in out
    code = main(["trace", str(SAMPLES / "coffee_lab.json"), "--input", "-0.46714,0.41591"])
    out = capsys.readouterr().out
    assert code == 0 and "x = [−0.46714, 0.41591]" in out


@pytest.mark.parametrize("argv", [
    ["check", "NET", "--inp", "1,2"],
    ["check", "NET", "--input", "1,2", "--inputs", "x.csv"],
    ["trace", "NET", "--inp", "1,2"],
    ["trace", "NET", "--form", "json"],
    ["NET", "--break", "nan"],
])
def test_abbreviated_options_are_refused(capsys, argv):
    argv = [str(SAMPLES / "coffee_lab.json") if a == "NET" else a for a in argv]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments" in err or "not allowed with" in err


def test_a_first_layer_written_units_by_inputs_looks_transposed(capsys, tmp_path):
    doc = json.loads((SAMPLES / "coffee_lab.json").read_text())
    doc["layers"][0]["W"] = [list(col) for col in zip(*doc["layers"][0]["W"])]  # 3×2: units × inputs
    path = tmp_path / "transposed.json"
    path.write_text(json.dumps(doc))
    code, _, err = run(capsys, str(path))
    assert code == 2
    assert "layers[0] (layer1).W: W is 3×2 but b has 3 values" in err and "looks transposed" in err
    assert ".b" not in err.split("error:")[1].split(":")[0]  # the place named is W, not b


def test_a_float32_file_whose_sample_overflows_float32_is_a_clear_error(capsys, tmp_path):
    doc = {"dtype": "float32", "layers": [{"activation": "relu", "W": [[1.0]], "b": [0]}],
           "samples": [{"name": "huge", "x": [1e39]}]}
    path = tmp_path / "f32.json"
    path.write_text(json.dumps(doc))
    code, _, err = run(capsys, str(path))  # warnings are errors in this suite
    assert code == 2 and 'samples[0] ("huge").x[0]: 1e+39 does not fit dtype float32' in err
    doc["samples"][0]["x"] = [1.0]
    path.write_text(json.dumps(doc))
    code, _, err = run(capsys, str(path), "--input", "1e39")
    assert code == 2 and "does not fit the network's float32" in err
    csv = tmp_path / "big.csv"
    csv.write_text("x1\n2\n1e39\n")
    code, _, err = run(capsys, str(path), "--inputs", str(csv))
    assert code == 2 and "big.csv: sample 2, input 1: 1e+39 does not fit" in err


def test_an_inf_weight_loads_and_is_named_as_the_origin(capsys, tmp_path):
    doc = json.loads((SAMPLES / "xor.json").read_text())
    doc["layers"][0]["W"][1][0] = "Infinity"
    path = tmp_path / "inf.json"
    path.write_text(json.dumps(doc))
    code, out, _ = run(capsys, str(path), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    origins = [f for f in doc["findings"] if f["kind"] == "nonfinite" and f["origin"]]
    assert [(f["layer"], f["neuron"], f["severity"]) for f in origins] == [(1, 1, "problem")]
    assert "L1.N1.w2 = ∞" in origins[0]["message"]


# -- issue 13: check computes through the Session, as the debugger does ----------------------
def _session_and_report(path: Path, **thresholds):
    from neurodebug import load_network
    from neurodebug.engine import Session
    from neurodebug.engine.settings import Settings

    session = Session(load_network(path), settings=Settings(**thresholds))
    return session, session.health()


@pytest.mark.parametrize("name, thresholds", [
    ("coffee_unnormalized.json", {}),
    ("nan_overflow.json", {}),
    ("dead_relu.json", {}),
    ("coffee_lab.json", {}),
    ("xor.json", {"exploding_z": 1.5}),
    ("coffee_roasting.json", {"saturation_slope": 0.01}),
])
def test_check_json_is_the_sessions_report_serialised(capsys, name, thresholds):
    """``check --format json`` is check_to_dict of the session's own health report,
    its worst neurons explained by Session.explain standing on each finding's sample."""
    from neurodebug.engine.health import worst_findings
    from neurodebug.engine.serialize import check_to_dict

    path = SAMPLES / name
    options = [f"--{k.replace('_', '-')}={v}" for k, v in thresholds.items()]
    code, out, err = run(capsys, str(path), "--format", "json", *options)
    assert err == ""
    session, report = _session_and_report(path, **thresholds)
    assert code == (0 if report.ok else 1)
    explanations = []
    for f in worst_findings(report):
        session.set_sample(f.row)
        explanations.append(session.explain(f.layer, f.neuron))
    expected = check_to_dict(session.network, report, explanations, file=str(path))
    assert json.loads(out) == json.loads(json.dumps(expected, allow_nan=False))
    assert list(json.loads(out))[:6] == ["file", "network", "shape", "layers", "parameters", "checked"]


@pytest.mark.parametrize("name", ["coffee_unnormalized.json", "nan_overflow.json", "xor.json"])
def test_check_text_is_the_sessions_report(capsys, name):
    from neurodebug.engine.health import report_lines

    path = SAMPLES / name
    _, out, _ = run(capsys, str(path))
    session, report = _session_and_report(path)
    assert out.splitlines()[1:] == report_lines(report, session.trace)


def test_a_file_without_samples_is_not_checked_in_json(capsys, tmp_path):
    doc = json.loads((SAMPLES / "xor.json").read_text())
    del doc["samples"]
    path = tmp_path / "bare.json"
    path.write_text(json.dumps(doc))
    code, out, err = run(capsys, str(path), "--format", "json")
    assert code == 0 and err == ""
    got = json.loads(out)
    assert got["checked"] is False and got["ok"] is True and got["findings"] == []
    assert got["summary"] == "not checked: the file has no samples"
    assert "explanations" not in got

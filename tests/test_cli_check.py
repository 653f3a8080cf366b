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
    code, _, _ = run(capsys, str(SAMPLES / "coffee_roasting.json"), "--saturation-slope", "0.01")
    assert code == 1  # σ'(z) < 0.01 past |z| ≈ 4.6: the healthy sample's |z| up to 8 now counts


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
    assert code == 1
    assert "1 problem in 1 neuron over 1 sample" in out and "neuron 2 (too short): saturated" in out
    assert "(raw 17)" in out
    code, out, _ = run(capsys, str(SAMPLES / "coffee_unnormalized.json"), "--inputs", str(csv))
    assert code == 1 and "saturated sigmoid" in out


def test_the_installed_command(tmp_path):
    exe = Path(sys.executable).parent / "neurodebug"
    if not exe.exists():
        pytest.skip("the console script is not installed next to this Python")
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    result = subprocess.run([str(exe), "check", str(SAMPLES / "coffee_unnormalized.json")],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 1 and result.stderr == ""
    assert "neuron 1 (too cold): saturated" in result.stdout

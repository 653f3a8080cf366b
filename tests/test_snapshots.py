"""SVG snapshots of the main screen (plain def tests, as pytest-textual-snapshot needs).

Update with `pytest tests/test_snapshots.py --snapshot-update`, then look at
the SVGs under tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_helpers import make_app, press, settle

BATCHNORM = Path(__file__).parent / "fixtures" / "batchnorm_demo.json"

CASES = {
    # name: (network, keys)
    "seed_start": ("seed_example.json", []),
    "seed_dot_product": ("seed_example.json", ["n"]),
    "seed_saturated_activation": ("seed_example.json", ["N"]),
    "seed_end": ("seed_example.json", ["G"]),
    "coffee_start": ("coffee_roasting.json", []),
    "coffee_dot_product": ("coffee_roasting.json", ["n", "N", "n"]),
    "coffee_end": ("coffee_roasting.json", ["G"]),
    "coffee_per_layer": ("coffee_roasting.json", ["v", "n", "n"]),
    "lab_end": ("coffee_lab.json", ["G"]),
    "lab_saturated_activation": ("coffee_lab.json", ["N", "N", "N"]),
    "unnormalized_failing": ("coffee_unnormalized.json", ["f", "4"]),
    "seed_code": ("seed_example.json", ["n", "n", "5"]),
    "batchnorm_norm_step": (BATCHNORM, ["n", "n", "n", "n"]),
    "seed_backward_cannot_learn": ("seed_example.json", ["G", "n", "n", "n", "n", "n", "n"]),
    "seed_backward_per_layer": ("seed_example.json", ["v", "G", "n", "n", "n", "n", "n", "n"]),
    "seed_backward_gradient_check": ("seed_example.json", ["G", "n", "n", "n"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_main_screen(case, snap_compare):
    network, keys = CASES[case]
    assert snap_compare(make_app(network), press=keys, terminal_size=(120, 40))


# At 80×24 the course's lab network: a saturated activation, the layer per
# layer, the end of the pass with its verdict; and the seed's saturated neuron.
CASES_80x24 = {
    "seed_saturated_activation": ("seed_example.json", ["N"]),
    "lab_saturated_activation": ("coffee_lab.json", ["N", "N", "N"]),
    "lab_per_layer": ("coffee_lab.json", ["v", "n", "n", "n"]),
    "lab_end": ("coffee_lab.json", ["G"]),
    "lab_code_per_layer": ("coffee_lab.json", ["v", "n", "n", "5"]),
    "batchnorm_norm_step": (BATCHNORM, ["n", "n", "n", "n"]),
    "seed_backward_cannot_learn": ("seed_example.json", ["G", "n", "n", "n", "n", "n", "n"]),
    "seed_backward_per_layer": ("seed_example.json", ["v", "G", "n", "n", "n", "n", "n", "n"]),
    "seed_backward_gradient_check": ("seed_example.json", ["G", "n", "n", "n"]),
}


@pytest.mark.parametrize("case", sorted(CASES_80x24))
def test_main_screen_at_80x24(case, snap_compare):
    network, keys = CASES_80x24[case]
    assert snap_compare(make_app(network), press=keys, terminal_size=(80, 24))


# The Samples view once its scan is done (settle waits for the scan's worker).
CASES_SAMPLES = {
    "coffee_samples": ("coffee_roasting.json", (120, 40)),
    "lab_samples_80x24": ("coffee_lab.json", (80, 24)),
}


@pytest.mark.parametrize("case", sorted(CASES_SAMPLES))
def test_samples_view(case, snap_compare):
    network, size = CASES_SAMPLES[case]

    async def samples(pilot) -> None:
        await settle(pilot)
        await press(pilot, "6")

    assert snap_compare(make_app(network), run_before=samples, terminal_size=size)

"""Driving the backward pass with keys: v, c, b, N, L, G, p (Pilot, no sleeps)."""

from __future__ import annotations

from neurodebug.engine.kinds import BackKind
from neurodebug.engine.watch import parse_watches
from tui_helpers import make_app, press, screen_text

SIZE = (120, 40)


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


def here(s):
    b = s.back_step
    assert b is not None
    return b.layer, b.neuron, b.kind


async def test_v_in_the_backward_pass_switches_to_per_layer_and_back_keeping_the_operation():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        await press(pilot, "G", *"nnnnnn")  # ∂L/∂z1_1
        assert here(s) == (0, 0, BackKind.DZ)
        await press(pilot, "v")
        assert s.granularity == "layer" and here(s) == (0, None, BackKind.DZ)
        text = screen_text(app)
        assert "backward 6/8" in text and "per layer" in text
        assert "∂L/∂z1 = ∂L/∂a1 ⊙ σ′(z1)" in text
        assert "cannot learn from this sample: neuron 1 (σ′(166.5) = 4.9e−73)" in text
        assert app.screen.frame.network.lit_layer == 0
        await press(pilot, "v")
        assert s.granularity == "neuron" and here(s) == (0, 1, BackKind.DZ)
        assert "backward 10/12" in screen_text(app)
        assert app.screen.frame.network.lit_layer is None


async def test_N_L_G_and_p_in_the_backward_pass():
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        s = app.session
        await press(pilot, "G", "n", "N")
        assert here(s) == (1, 0, BackKind.DB)
        await press(pilot, "L")
        assert here(s) == (0, 1, BackKind.DB) and s.at_last_step
        await press(pilot, "L")
        assert toasts(app)[-1] == "end of the backward pass: p steps back, g goes to the start"
        await press(pilot, "p", "p")
        assert here(s) == (0, 1, BackKind.DZ)
        await press(pilot, "G")
        assert s.at_last_step and "backward 12/12" in screen_text(app)
        await press(pilot, "g")
        assert not s.in_backward and s.step is None


async def test_b_then_c_stops_at_the_breakpoint_in_the_backward_pass():
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        s = app.session
        await press(pilot, "G", *"nnnnnnnnn")  # layer 1, neuron 2's ∂L/∂a
        assert here(s) == (0, 1, BackKind.DA)
        await press(pilot, "b")
        assert s.breakpoints == {(0, 1)} and "● breakpoint L1.N2" in screen_text(app)
        await press(pilot, "g", "G", "c")  # from the end of the forward pass: on into the backward one
        assert here(s) == (0, 1, BackKind.DA)
        assert toasts(app)[-1] == "breakpoint at layer 1 (layer1), neuron 2, backward ∂L/∂a"
        await press(pilot, "c")
        assert s.at_last_step and toasts(app)[-1] == "reached the end of the backward pass"
        await press(pilot, "c")
        assert toasts(app)[-1] == "end of the backward pass: p steps back, g goes to the start"


async def test_c_with_a_watch_stops_where_it_fires_and_the_status_says_so():
    app = make_app(watches=parse_watches("saturated"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        s = app.session
        await press(pilot, "v", "c")  # per layer: first the forward pass's saturated activation
        for _ in range(3):  # the forward pass's end, then on into the backward pass
            if not s.in_backward:
                await press(pilot, "c")
        assert here(s) == (0, None, BackKind.DZ)
        assert "watch saturated: cannot learn from this sample" in toasts(app)[-1]
        assert "◆ watch saturated" in screen_text(app)


async def test_per_layer_backward_N_L_and_p_move_a_layer_step_at_a_time():
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        s = app.session
        await press(pilot, "v", "G", "n", "N")  # the loss, then the output layer's ∂L/∂z, ∂L/∂W, ∂L/∂b
        assert here(s) == (1, None, BackKind.DB) and app.screen.frame.network.lit_layer == 1
        await press(pilot, "L")
        assert here(s) == (0, None, BackKind.DB) and s.at_last_step
        await press(pilot, "p", "p")
        assert here(s) == (0, None, BackKind.DZ) and "backward 6/8" in screen_text(app)
        await press(pilot, *"pppppp")
        assert not s.in_backward and s.at_end and "step 6/6" in screen_text(app)


async def test_the_arrays_pane_follows_the_backward_step_and_shows_dL_dw():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        await press(pilot, "G", "n", "n")  # the loss, the output's ∂L/∂z: no weight gradient yet
        arrays = app.screen.frame.arrays
        assert arrays.g_header == "" and all(row.grad is None for row in arrays.rows)
        await press(pilot, "n")  # the output's ∂L/∂w
        arrays = app.screen.frame.arrays
        assert (arrays.layer, arrays.neuron, arrays.label) == (1, 0, "L2.N1.w1")
        assert arrays.g_header == "∂L/∂w" and [row.grad for row in arrays.rows] == list(s.back_step.value)
        await press(pilot, *"nnnn")  # neuron 1 of layer 1: ∂L/∂a, ∂L/∂z, then its ∂L/∂w
        arrays = app.screen.frame.arrays
        assert here(s) == (0, 0, BackKind.DW) and arrays.label == "L1.N1.w1"
        assert [row.grad for row in arrays.rows] == list(s.back_step.value)
        assert "−2.1257e−71" in screen_text(app)  # beside w = 1 and x = 200
        await press(pilot, "p")  # back to ∂L/∂z: its ∂L/∂w is not computed yet
        assert all(row.grad is None for row in app.screen.frame.arrays.rows)


async def test_N_and_L_at_the_end_of_the_forward_pass_go_on_into_the_loss():
    for key in ("N", "L"):
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            s = app.session
            await press(pilot, "G", key)
            assert s.back_cursor == 0 and here(s) == (1, None, BackKind.LOSS)
            await press(pilot, key)  # and on: the output neuron (N) or layer (L), finished
            assert s.back_step is not None and s.back_step.layer == 1 and s.back_step.kind == BackKind.DB


async def test_the_loss_chosen_on_the_command_line_is_the_backward_passs():
    from neurodebug.engine.kinds import LossKind

    app = make_app(loss=LossKind.MSE)  # as `neurodebug seed_example.json --loss mse` opens it
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "G", "n")
        assert "backward · loss (mse)" in screen_text(app) and "ℓ = mean((a − y)²)" in screen_text(app)

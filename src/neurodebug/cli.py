"""Command line: ``neurodebug [NET]`` opens the debugger; ``trace``, ``check``,
``convert``, ``export`` and ``verify`` work headless. Bad input exits 2 with one line, no traceback."""

from __future__ import annotations

import argparse
import gc
import json
import math
import re
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from . import __version__
from .engine import PER_LAYER, PER_NEURON, EditError, Network, Sample, Samples, Session, parse_assignment, parse_watches
from .engine.kinds import LossKind
from .engine.numbers import fmt, json_value
from .engine.settings import Settings
from .io import NetworkFileError, load_network
from .io.errors import printable
from .io.files import allow_reads
from .command_names import COMMANDS

if TYPE_CHECKING:
    from .engine.rows import RowSource
    from .engine.health import Explanation, Finding, HealthReport
    from .engine.trace import Trace
    from .tui.app import NeurodebugApp

DEFAULT_SAMPLE = "coffee_roasting.json"


class UsageError(Exception):
    """A bad option value: reported like a bad file, exit 2."""


def bundled_sample(name: str = DEFAULT_SAMPLE) -> Path:
    """A sample network shipped inside the package (works after pip install).

    An editable install has no copy inside the package: use the checkout's.
    """
    from importlib import resources  # here: a network named on the command line does not need it (3 ms at launch)

    packaged = resources.files("neurodebug") / "samples" / name
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "sample_networks" / name


# -- shared option handling ------------------------------------------------------
def _add_input_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--input", metavar="X1,X2,…", help="one input, comma-separated (e.g. 200,17)")
    g.add_argument("--sample", metavar="NAME", help="a sample of the file, by name or 1-based number")
    p.add_argument("--inputs", metavar="FILE", help="samples from a .csv (header row; optional label column) or .npy file")
    p.add_argument("--labels", metavar="FILE", help="one class per --inputs row: a 1-D .npy of class indices (-1: no label)")
    p.add_argument("--per-layer", action="store_true", help="step whole layers instead of single neurons")
    p.add_argument("--loss", choices=("bce", "ce", "mse"),
                   help="the loss of the backward pass past the output (default: from the output activation: "
                        "one sigmoid unit bce, softmax ce, else mse)")
    _add_activations_option(p)


_ACTIVATIONS_HELP = ("for a .safetensors state_dict or a course-style .npz of W1, b1, W2, b2 (weights, no architecture): "
                     "one activation per layer, comma-separated, e.g. relu,relu,softmax or sigmoid,sigmoid; "
                     "parameters after a colon: leaky_relu:0.1, clip:-2:3")


def _add_activations_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--activations", metavar="G1,G2,…", help=_ACTIVATIONS_HELP)


def parse_input(text: str, net: Network) -> np.ndarray:
    if not text.strip():
        raise UsageError("--input is empty: give the input values, e.g. --input 200,17")
    parts = [p.strip() for p in text.replace(";", ",").split(",")]
    values = []
    for i, part in enumerate(parts):
        try:
            values.append(float(part.replace("\u2212", "-")))
        except ValueError:
            raise UsageError(f"--input: value {i + 1} {part!r} is not a number (expected e.g. --input 200,17)") from None
        if not math.isfinite(values[-1]):
            raise UsageError(f"--input: value {i + 1} {part!r} is not finite")
    if len(values) != net.n_inputs:
        raise UsageError(f"--input has {len(values)} values but the network takes {net.n_inputs} inputs")
    too_big = net.first_unrepresentable(np.array(values))
    if too_big is not None:
        (_, k), value = too_big
        raise UsageError(f"--input: value {k + 1} ({value:g}) does not fit the network's {net.compute_dtype}")
    return np.array(values)


def _check_labels(args: argparse.Namespace) -> None:
    if getattr(args, "labels", None) and not getattr(args, "inputs", None):
        raise UsageError("--labels goes with --inputs FILE: one class per row of it")


def _choose_row(rows: RowSource, name: str) -> int:
    """--sample N (1-based) or "row N" of a dataset read a row at a time."""
    digits = name.removeprefix("row ").replace(",", "")
    if not digits.isdigit() or not 1 <= int(digits) <= len(rows):
        raise UsageError(f"--sample {name}: give a row number from 1 to {len(rows):,}")
    return int(digits) - 1


def _choose_sample(net: Network, name: str) -> int:
    if name.isdigit() and not any(s.name == name for s in net.samples):
        i = int(name) - 1
        if not 0 <= i < len(net.samples):
            raise UsageError(f"--sample {name}: the file has {len(net.samples)} samples")
        return i
    try:
        return net.sample_index(name)
    except KeyError as exc:
        raise UsageError(f"--sample: {exc.args[0]}") from None


def open_session(args: argparse.Namespace, path: Path, zeros_if_empty: bool = False,
                 windowed: bool = False) -> Session:
    """Load the network and its inputs and build the session the options ask
    for. ``windowed``: inputs too many to trace at once are read a row at a
    time (``Session.rows``) instead of refused or traced whole."""
    from .engine.rows import traced_whole
    from .io.inputs import load_inputs

    net = load_network(path, getattr(args, "activations", None))
    rows: RowSource | None = None
    labels = getattr(args, "labels", None)
    _check_labels(args)
    if getattr(args, "inputs", None):
        if windowed:
            from .io.input_rows import open_rows

            rows, table = open_rows(args.inputs, net, labels)
            if traced_whole(net, len(rows)):
                rows = None
                if table is None:  # a .npy file small enough: read whole, as without ``windowed``
                    table = load_inputs(args.inputs, net, labels=labels)
        else:
            table = load_inputs(args.inputs, net, labels=labels)
        if table is not None:
            if rows is None:
                net.samples = table.samples
            if not net.feature_names and table.feature_names:
                net.feature_names = table.feature_names
    index = 0
    if rows is not None:
        if args.input is not None:
            raise UsageError(f"--input with --inputs {args.inputs} ({len(rows):,} rows): give one or the other")
        if args.sample:
            index = _choose_row(rows, args.sample)
    elif args.input is not None:
        net.samples = Samples.of([Sample("--input", parse_input(args.input, net))], net.n_inputs) + net.samples
    elif args.sample:
        index = _choose_sample(net, args.sample)
    if not net.samples and rows is None:
        if not zeros_if_empty:
            raise UsageError(f"{path}: the file has no samples; give one with --input X1,X2,… or --inputs FILE")
        # Model files (Keras, ONNX) carry no inputs: start the debugger on zeros.
        net.samples = Samples.of([Sample("zeros (the file has no samples: use --input or --inputs)",
                                         np.zeros(net.n_inputs))], net.n_inputs)
    granularity = PER_LAYER if args.per_layer else PER_NEURON
    checked = net if rows is None else replace(net, samples=rows.read(index))
    loss = _check_loss(checked, getattr(args, "loss", None))
    session = Session(net, granularity=granularity, sample_index=index, loss=loss, rows=rows)
    for text in getattr(args, "set", None) or []:
        try:
            target, value = parse_assignment(text)
            target.check(net)
            session.edit(target, value)
        except EditError as exc:
            raise UsageError(f"--set {text}: {exc}") from None
    return session


# -- trace ---------------------------------------------------------------------
def cmd_trace(args: argparse.Namespace) -> int:
    from .engine.serialize import trace_to_dict
    from .engine.trace_text import trace_text

    session = open_session(args, Path(args.network))
    if args.gradcheck and not args.backward:
        raise UsageError("--gradcheck goes with --backward (the gradients it checks)")
    back = _backward(session, args.loss) if args.backward else None
    checks = _gradcheck(session, args.loss) if args.gradcheck else None
    bad = [c for c in checks if not c.ok] if checks is not None else []
    if args.format == "json":
        steps = [session.sample_trace.detail(step, session.settings) for step in session.plan]
        doc = trace_to_dict(session, steps, file=args.network)
        if back is not None:
            doc["backward"] = [{"title": b.title, "symbolic": b.symbolic, "formula": b.formula,
                                "value": json_value(np.asarray(b.value).tolist())} for b in back]
        if checks is not None:
            doc["gradient_check"] = [{"parameter": c.label, "analytic": json_value(c.analytic),
                                      "numeric": json_value(c.numeric), "relative_error": json_value(c.rel_error),
                                      "kink": c.kink, "ok": c.ok} for c in checks]
        _write_json(doc, ensure_ascii=True)
        return 1 if bad else 0
    print(trace_text(session))
    if back is not None:
        w = len(str(len(back)))
        print("backward:")
        for k, b in enumerate(back, 1):
            print(f"{k:>{w}}  {b.title}")
            print(f"{'':>{w}}    {b.symbolic}")
            print(f"{'':>{w}}    {b.formula}")
            for note in b.notes:
                print(f"{'':>{w}}    ! {note}")
    if checks is not None:
        from .engine.gradcheck import STEP, TOLERANCE

        measured = [c for c in checks if c.resolved and not c.kink]
        verdict = "all agree" if not bad else f"{len(bad)} disagree (relative error > {fmt(TOLERANCE)})"
        if measured:
            worst = max(measured, key=lambda c: c.rel_error)
            how = f"worst relative error {fmt(worst.rel_error, 2)} ({worst.label})"
        else:
            how = "every gradient is below what a finite difference resolves"
        print(f"gradient check (central differences, h = {fmt(STEP)}): {len(checks)} parameters, {how}: {verdict}")
        kinks = [c.label for c in checks if c.kink]
        if kinks:
            print(f"  at a kink (a one-sided difference agrees, as the analytic side does): {', '.join(kinks[:8])}"
                  + (" …" if len(kinks) > 8 else ""))
        for c in bad:
            print(f"  {c.label}: analytic {fmt(c.analytic)}, numeric {fmt(c.numeric)} (relative error {fmt(c.rel_error, 2)})")
    return 1 if bad else 0


def _gradcheck(session: Session, loss: str | None) -> list:
    """Every weight and bias's analytic gradient beside a central finite difference, for the sample."""
    from .engine.gradcheck import gradient_check

    target = session.sample.target
    assert target is not None  # _backward refused a sample without one
    try:
        return gradient_check(session.network, session.sample_trace.x[None, :], np.asarray(target)[None, ...], loss)
    except ValueError as exc:
        raise UsageError(f"--gradcheck: {exc}") from None


def _backward(session: Session, loss: str | None) -> list:
    """The backward steps of the session's sample, for its label (or expected output)."""
    from .engine.backward_steps import backward_steps

    sample = session.sample
    target = sample.target
    if target is None:
        raise UsageError(f"--backward: sample \"{sample.name}\" has no label or expected output to take the loss against")
    try:
        return backward_steps(session.sample_trace, target, loss, session.settings, session.granularity)
    except ValueError as exc:
        raise UsageError(f"--backward: {exc}") from None


def _write_json(doc: dict[str, Any], ensure_ascii: bool) -> None:
    json.dump(doc, sys.stdout, indent=2, allow_nan=False, ensure_ascii=ensure_ascii)
    sys.stdout.write("\n")


# -- check ---------------------------------------------------------------------
def _check_settings(args: argparse.Namespace) -> Settings:
    options = {"saturation_slope": args.saturation_slope, "exploding_z": args.exploding_z}
    try:
        return Settings(**{k: v for k, v in options.items() if v is not None})
    except ValueError as exc:
        text = str(exc)
        for key in options:
            text = text.replace(key, "--" + key.replace("_", "-"))
        raise UsageError(text) from None


def _check_loss(net: Network, name: str | None) -> LossKind | None:
    """``--loss`` of ``check``, refused when it does not fit the output layer."""
    if name is None:
        return None
    from .engine.losses import check_output, loss_targets

    try:
        check_output(net, LossKind(name))
        targets = net.samples.targets()
        if targets is not None:
            loss_targets(net, targets[1], LossKind(name), targets[0].size)
    except ValueError as exc:
        raise UsageError(f"--loss {name}: {exc}") from None
    return LossKind(name)


def _explain_finding(session: Session, finding: Finding) -> Explanation:
    """The finding's neuron explained as the debugger explains it: standing on
    the finding's sample."""
    assert finding.neuron is not None
    session.set_sample(finding.row)
    return session.explain(finding.layer, finding.neuron)


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the file, then run the health checks: exit 1 on findings, 0 on none."""
    from .engine.health import report_lines, worst_findings
    from .engine.serialize import check_to_dict

    settings = _check_settings(args)
    net = load_network(args.network, args.activations)
    report: HealthReport | None
    trace: Trace | None
    if args.inputs:
        # Read and checked a chunk of rows at a time: memory does not grow with the rows.
        from .streamed_check import check_file

        checked = check_file(net, args.inputs, settings, lambda part: _check_loss(part, args.loss), sys.stderr,
                             labels=args.labels)
        report, rows = checked.report, checked.rows
        trace, explainer = checked.trace, checked.explain
    else:
        if args.input is not None:
            net.samples = Samples.of([Sample("--input", parse_input(args.input, net))], net.n_inputs)
        loss = _check_loss(net, args.loss)
        session = Session(net, settings=settings, loss=loss) if net.samples else None
        report = session.health() if session is not None else None
        rows = len(net.samples)
        trace = session.trace if session is not None else None

        def explainer(f: Finding) -> Explanation:
            assert session is not None
            return _explain_finding(session, f)
    shapes = ", ".join(f"{l.name} {l.n_inputs}×{l.units} {l.operations}" for l in net.layers)
    # "valid": the file reads; whether its neurons are healthy is the report's verdict.
    summary = (
        f"{args.network}: valid: {len(net.layers)} layers ({net.shape_summary()}), "
        f"{net.param_count:,} parameters, {rows} sample{'' if rows == 1 else 's'} [{shapes}]"
    )
    # The same settings, health report and explanations the debugger shows.
    if args.format == "json":
        explanations = []
        if report is not None:
            explanations = [explainer(f) for f in worst_findings(report) if f.neuron is not None]
        _write_json(check_to_dict(net, report, explanations, file=args.network), ensure_ascii=False)
    else:
        print(summary)
        if trace is None or report is None:
            print("health: not checked: the file has no samples (give some with --inputs FILE)")
        else:
            print("\n".join(report_lines(report, trace, explainer=explainer)))
    return 0 if report is None or report.ok else 1


# -- convert -------------------------------------------------------------------
def cmd_convert(args: argparse.Namespace) -> int:
    from .io.convert import convert_file

    out = convert_file(args.model, args.output, overwrite=args.force, activations=args.activations)
    print(f"wrote {out}")
    return 0


# -- export ----------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    """The network as a standalone NumPy script that prints its samples' outputs."""
    from .io.numpy_export import export_numpy

    if not args.numpy:
        raise UsageError("export: say what to write: --numpy (a NumPy script), e.g. neurodebug export NET --numpy -o forward.py")
    net = load_network(args.network, args.activations)
    if args.inputs:
        from .io.inputs import read_inputs

        net.samples = read_inputs(args.inputs, net)
    elif args.input is not None:
        net.samples = Samples.of([Sample("--input", parse_input(args.input, net))], net.n_inputs)
    written = export_numpy(net, args.output, overwrite=args.force, source=args.network)
    print("wrote " + " and ".join(printable(str(p)) for p in written))
    return 0


# -- verify --------------------------------------------------------------------
def cmd_verify(args: argparse.Namespace) -> int:
    """A learner's my_dense… (run in a child process) or recorded values (.npz)
    against the engine: exit 0 all match, 1 a difference or their code failed,
    2 a file that cannot be used."""
    from .engine.diagnosis import report_lines, report_to_dict
    from .io.files import check_readable
    from .io.learner_code import LearnerCodeError, verify_file

    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise UsageError(f"--timeout {args.timeout:g}: give a number of seconds > 0")
    if args.rtol is not None and not 0 < args.rtol < 1:
        raise UsageError(f"--rtol {args.rtol:g}: give a relative tolerance between 0 and 1, e.g. 1e-6")
    code = check_readable(args.code, pipe_ok=False)
    net = load_network(args.network, args.activations)
    if args.inputs:
        from .io.inputs import read_inputs

        net.samples = read_inputs(args.inputs, net)
    if not net.samples:
        raise UsageError(f"{args.network}: the file has no samples; give some with --inputs FILE")
    try:
        report = verify_file(code, net, timeout=args.timeout, rtol=args.rtol)
    except LearnerCodeError as exc:
        raise UsageError(str(exc)) from None
    status = 0 if report.ok else 1
    if args.format == "json":
        _write_json(report_to_dict(report, status), ensure_ascii=False)
    else:
        print("\n".join(report_lines(report)))
    return status


# -- the debugger ----------------------------------------------------------------
def import_app() -> type[NeurodebugApp]:
    """The Textual app, imported with the garbage collector paused: Textual,
    Rich and the screen make objects by the hundred thousand and next to no
    garbage, and each collection during the import would scan them all. What
    is alive then is frozen (``gc.freeze``) before the collector resumes:
    the modules live as long as the process, and the first collection would
    otherwise scan everything the import made (0.1 s). For the command line,
    where the app is the process (``NeurodebugApp``'s ``freeze_gc`` keeps the
    collector paused until the debugger is on screen)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        from .tui.app import NeurodebugApp
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
    return NeurodebugApp


def cmd_debug(args: argparse.Namespace) -> int:
    path = Path(args.network) if args.network else bundled_sample()
    # The bundled sample lives inside the installed package: its edited copy
    # goes to the current directory instead.
    save_dir = None if args.network else Path.cwd()
    watches = []
    if args.break_on:
        try:
            watches = parse_watches(args.break_on)
        except ValueError as exc:
            raise UsageError(f"--break-on: {exc}") from None
    from .io.files import check_readable

    check_readable(path)  # a missing file fails here, before the screen changes
    _check_labels(args)  # before the screen changes: the loader's errors are a file's
    code = None
    if args.verify:
        if not (args.timeout > 0 and math.isfinite(args.timeout)):
            raise UsageError(f"--timeout {args.timeout:g}: give a number of seconds > 0")
        code = check_readable(args.verify, pipe_ok=False)

    def loader(progress) -> Session:
        progress(f"Reading {printable(path.name)} …")
        session = open_session(args, path, zeros_if_empty=True, windowed=True)
        session.watches = watches
        if code is not None:
            from .io.learner_code import LearnerCodeError, verify_file

            progress(f"Running {printable(code.name)} against every neuron …")
            try:
                session.verified = verify_file(code, session.network, timeout=args.timeout)
            except LearnerCodeError as exc:
                raise NetworkFileError(None, "", str(exc)) from None
        return session

    app_class = import_app()
    app = app_class(path=path, loader=loader, freeze_gc=True, save_dir=save_dir, catch_hangup=True)
    app.run()
    gc.enable()  # paused by freeze_gc until the debugger was on screen; an app that ended sooner leaves it paused
    crash = getattr(app, "_exception", None)
    if crash is not None and app.error is None:
        # Textual printed the traceback above; say plainly that this was a crash.
        print(internal_error(crash), file=sys.stderr)
        return 3
    if app.recovered is not None:
        try:
            print(f"neurodebug: stopped with unsaved edits; they are in {printable(str(app.recovered))}", file=sys.stderr)
        except OSError:  # no terminal left to tell
            pass
    if app.error is not None:
        failure = getattr(app, "failure", None)
        if failure is not None and not isinstance(failure, UsageError):
            raise failure
        print(f"neurodebug: error: {app.error}", file=sys.stderr)
        return 2
    return 128 + signal.SIGTERM if app.stopped else 0


# -- parsing -------------------------------------------------------------------
def build_parsers() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    # No abbreviated options: `check --input` must not quietly mean `--inputs`.
    main = argparse.ArgumentParser(
        prog="neurodebug", allow_abbrev=False,
        description="Step through a neural network's forward propagation, one operation at a time.",
        epilog="commands: neurodebug trace NET | neurodebug check NET | neurodebug convert MODEL -o OUT "
        "| neurodebug export NET --numpy -o forward.py | neurodebug verify MY_CODE.py NET "
        "(see neurodebug COMMAND --help)",
    )
    main.add_argument("network", nargs="?", help="network file (.json, .npz, .keras, .h5, .onnx, .safetensors or a course-style .npz with --activations); default: the bundled coffee-roasting sample")
    _add_input_options(main)
    main.add_argument("--break-on", metavar="WATCHES", help="stop `c` at nan, saturated, z>NUMBER, grad>NUMBER (comma-separated; "
                      "in the backward pass: a non-finite gradient, a neuron that cannot learn, |a gradient| > NUMBER)")
    main.add_argument("--verify", metavar="CODE", help="check your my_dense (a .py file, run in a child process) or "
                      "recorded values (.npz) against every neuron: ✓/✗ beside ours, f goes to the next ✗")
    main.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                      help="with --verify: stop your code after this long (default 10)")
    main.add_argument("--version", action="version", version=f"neurodebug {__version__}")

    cmds = argparse.ArgumentParser(prog="neurodebug", allow_abbrev=False)
    sub = cmds.add_subparsers(dest="command", required=True)
    t = sub.add_parser("trace", help="print every step of the forward pass", allow_abbrev=False)
    t.add_argument("network")
    _add_input_options(t)
    t.add_argument("--format", choices=("text", "json"), default="text")
    t.add_argument("--set", action="append", metavar="TARGET=VALUE", help="edit before tracing: L1.N1.w2=0, L1.N2.b=1.5, x1=190 (repeatable)")
    t.add_argument("--backward", action="store_true", help="then the backward pass: the loss and every gradient, with the numbers")
    t.add_argument("--gradcheck", action="store_true",
                   help="with --backward: every gradient beside a central finite difference (exit 1 if one disagrees)")
    c = sub.add_parser(
        "check", help="validate the file and report unhealthy neurons (exit 1 if any)", allow_abbrev=False,
        description="Validate the network file, print a summary, then check every neuron on every sample: "
        "saturated (on a flat side of sigmoid, tanh, gelu, …), dead (ReLU and the like), "
        "NaN/Inf (where it was produced and where it was passed on), "
        "exploding |z|, outputs that disagree with a label or expected vector; where samples have labels "
        "or expected outputs, why a neuron cannot learn (its gradient and the reason) and vanishing or "
        "exploding gradients per layer. "
        "Exit 0: healthy; 1: problems found; 2: a bad file or option.",
    )
    c.add_argument("network")
    given = c.add_mutually_exclusive_group()
    given.add_argument("--inputs", metavar="FILE", help="check on these samples (.csv or .npy) instead of the file's")
    given.add_argument("--input", metavar="X1,X2,…", help="check on this one input, comma-separated (e.g. -0.47,0.42)")
    c.add_argument("--labels", metavar="FILE", help="one class per --inputs row: a 1-D .npy of class indices (-1: no label)")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("--saturation-slope", type=float, metavar="S",
                   help="saturated where the slope g′(z) < S (default 1e-4: |z| > 9.21 for sigmoid, 5.30 for tanh)")
    c.add_argument("--exploding-z", type=float, metavar="K", help="report |z| > K (default 1000)")
    c.add_argument("--loss", choices=("bce", "ce", "mse"),
                   help="the loss whose gradients are checked where samples have targets (default: from the output activation)")
    _add_activations_option(c)
    v = sub.add_parser("convert", help="write a .keras, .h5, .onnx, .safetensors or .npz model as neurodebug JSON",
                       allow_abbrev=False)
    v.add_argument("model")
    v.add_argument("-o", "--output", required=True, help="the file to write: .json (our format) or .npz (large networks)")
    v.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    _add_activations_option(v)
    e = sub.add_parser("export", help="write the network as a standalone NumPy script (--numpy)", allow_abbrev=False,
                       description="Write the network as a Python script that needs only NumPy, in the lesson's "
                       "style, and prints the outputs of its samples: neurodebug's outputs to 1e-12. Past "
                       "2,000 numbers the arrays go to an .npz of the same name beside the script.")
    e.add_argument("network")
    e.add_argument("--numpy", action="store_true", help="write a NumPy script (the one export so far)")
    e.add_argument("-o", "--output", required=True, help="the script to write, e.g. forward.py")
    e.add_argument("--force", action="store_true", help="overwrite OUTPUT (and its .npz) if it exists")
    exported = e.add_mutually_exclusive_group()
    exported.add_argument("--inputs", metavar="FILE", help="the script's samples: these (.csv or .npy) instead of the file's")
    exported.add_argument("--input", metavar="X1,X2,…", help="the script's sample: this one input, comma-separated")
    _add_activations_option(e)
    _add_verify_parser(sub)
    return main, cmds


def _add_verify_parser(sub: Any) -> None:
    f = sub.add_parser(
        "verify", allow_abbrev=False,
        help="check your own forward propagation (my_dense, my_dense_v, my_sequential, my_predict in a .py) "
        "or recorded values (a1, a2, … in an .npz) against the engine, neuron by neuron",
        description="Import MY_CODE.py in a child process (time and memory limits) and call the functions it "
        "defines on every sample, layer by layer on the engine's own layer inputs; or compare the arrays "
        "a1, a2, … (and z1, …) of an .npz. Reports the first diverging neuron with its formula and a diagnosis. "
        "Exit 0: everything matches; 1: a difference, or your code failed; 2: a file or option refused.",
    )
    f.add_argument("code", metavar="MY_CODE.py|VALUES.npz")
    f.add_argument("network", metavar="NET")
    f.add_argument("--inputs", metavar="FILE", help="check on these samples (.csv or .npy) instead of the file's")
    f.add_argument("--format", choices=("text", "json"), default="text")
    f.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="stop your code after this long (default 10)")
    f.add_argument("--rtol", type=float, metavar="R",
                   help="relative tolerance (default 1e-9; 4.8e-7 for float32 values)")
    _add_activations_option(f)


# A value that starts with a minus sign, "-0.467,0.416", looks like an option
# to argparse: joined to its option with "=", it is read as the value it is.
_NUMBERS = re.compile(r"^[-−+]?[\d.][\d.eE+\-−,;\s]*$")
_VALUE_OPTIONS = ("--input",)


def _join_negative_values(argv: list[str]) -> list[str]:
    out: list[str] = []
    k = 0
    while k < len(argv):
        if argv[k] in _VALUE_OPTIONS and k + 1 < len(argv) and argv[k + 1][:1] in "-−" \
                and _NUMBERS.match(argv[k + 1]):
            out.append(f"{argv[k]}={argv[k + 1]}")
            k += 2
            continue
        out.append(argv[k])
        k += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    argv = _join_negative_values(list(sys.argv[1:] if argv is None else argv))
    allow_reads()  # a command starts with reads allowed, whatever an earlier app in this process cancelled
    main_parser, cmd_parser = build_parsers()
    try:
        if argv and argv[0] in COMMANDS:
            args = cmd_parser.parse_args(argv)
            handler = {"trace": cmd_trace, "check": cmd_check, "convert": cmd_convert, "export": cmd_export,
                       "verify": cmd_verify}[args.command]
        else:
            args = main_parser.parse_args(argv)
            handler = cmd_debug
        return handler(args)
    except (NetworkFileError, UsageError) as exc:
        print(f"neurodebug: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug (or memory a file made us ask for): one line, exit 3, not "found a problem"
        print(internal_error(exc), file=sys.stderr)
        return 3


def internal_error(exc: BaseException) -> str:
    """The one line a crash is reported in: what and where, no traceback (docs/security.md)."""
    import traceback

    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {Path(frame.filename).name}:{frame.lineno} ({frame.name})" if frame else ""
    return f"neurodebug: internal error: {type(exc).__name__}{where}; please report it"

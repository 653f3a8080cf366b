"""The activations, written from their definitions, for the reference tests.

Each follows PyTorch's and Keras's documentation and shares no code with the
engine; tests/fixtures/make_activation_reference.py compares them with
PyTorch itself (so this module needs NumPy only: no pytest, no neurodebug).
Where the frameworks give NaN for ±∞ (z·Φ(z) at −∞, ∞/∞ in softsign), so do
these, by the same arithmetic.
"""

from __future__ import annotations

import math

import numpy as np

ACTIVATION_NAMES = ("sigmoid", "relu", "leaky_relu", "tanh", "linear", "softmax", "gelu", "gelu_tanh", "silu",
                    "mish", "elu", "selu", "softplus", "softsign", "hard_sigmoid", "hard_silu", "exponential",
                    "relu6", "clip", "log_softmax")
PER_LAYER_NAMES = ("softmax", "log_softmax")
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946


def ref_sigmoid(z):
    # The textbook formula; exp overflowing to inf gives the right limit 0.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def ref_tanh(z):
    # sinh/cosh overflow past |z| ~ 710; beyond |z| = 20, tanh is ±1 in floating point.
    with np.errstate(over="ignore", invalid="ignore"):
        small = np.abs(z) < 20
        zs = np.where(small, z, 0.0)
        return np.where(small, np.sinh(zs) / np.cosh(zs), np.sign(z))


def ref_relu(z):
    return np.where(np.isnan(z), z, np.where(z > 0, z, np.zeros_like(z)))


def ref_leaky_relu(z, alpha):
    with np.errstate(over="ignore"):
        return np.where(z >= 0, z, z * alpha)


def ref_gelu(z):
    # GELU(x) = x·Φ(x) = x·½·erfc(−x/√2) (PyTorch's nn.GELU, Keras's gelu(approximate=False))
    erfc = np.vectorize(math.erfc, otypes=[float])
    with np.errstate(invalid="ignore"):
        return z * (0.5 * erfc(-z / math.sqrt(2.0)))


def ref_gelu_tanh(z):
    # ½x(1 + tanh(√(2/π)(x + 0.044715x³))) = x / (1 + e^(−2u)), since 1 + tanh u = 2/(1 + e^(−2u))
    with np.errstate(over="ignore", invalid="ignore"):
        zc = np.clip(z, -1e4, 1e4)
        u = math.sqrt(2.0 / math.pi) * (zc + 0.044715 * zc**3)
        return z / (1.0 + np.exp(-2.0 * u))


def ref_silu(z):
    with np.errstate(over="ignore", invalid="ignore"):
        return z / (1.0 + np.exp(-z))  # PyTorch's x / (1 + e^−x): −∞/∞ is NaN there too


def ref_mish(z):
    with np.errstate(over="ignore", invalid="ignore"):
        return z * np.tanh(np.log1p(np.exp(z)))


def ref_elu(z, alpha):
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def ref_selu(z):
    with np.errstate(over="ignore"):
        return SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0)))


def ref_softplus(z):
    return np.logaddexp(0.0, z)


def ref_softsign(z):
    with np.errstate(invalid="ignore"):
        return z / (1.0 + np.abs(z))


def ref_hard_sigmoid(z, alpha, beta):
    with np.errstate(over="ignore"):
        return np.clip(alpha * z + beta, 0.0, 1.0)


def ref_hard_silu(z):
    with np.errstate(invalid="ignore"):
        return z * (np.clip(z + 3.0, 0.0, 6.0) / 6.0)


def ref_exponential(z):
    with np.errstate(over="ignore"):
        return np.exp(z)


def ref_softmax(z):
    """Row-wise softmax with the limits spelled out.

    As the frameworks compute it (checked against torch.softmax): NaN or +inf
    anywhere, or -inf everywhere, makes the row NaN; a -inf entry is 0.
    """
    z = np.atleast_2d(z)
    out = np.empty(z.shape, dtype=np.result_type(z.dtype, np.float32))
    for r, row in enumerate(z):
        if np.isnan(row).any() or np.isposinf(row).any() or np.isneginf(row).all():
            out[r] = np.nan
        else:
            with np.errstate(over="ignore", under="ignore"):
                e = np.exp(row - row.max())
            out[r] = e / e.sum()
    return out


def ref_log_softmax(z):
    """Row-wise log-softmax, the same limits as softmax's; a −∞ entry is −∞."""
    z = np.atleast_2d(z)
    out = np.empty(z.shape, dtype=np.result_type(z.dtype, np.float32))
    for r, row in enumerate(z):
        if np.isnan(row).any() or np.isposinf(row).any() or np.isneginf(row).all():
            out[r] = np.nan
        else:
            with np.errstate(over="ignore", under="ignore", divide="ignore"):
                shifted = row - row.max()
                out[r] = shifted - np.log(np.exp(shifted).sum())
    return out


ELEMENTWISE_REFS = {
    "sigmoid": lambda z, p: ref_sigmoid(z), "tanh": lambda z, p: ref_tanh(z), "relu": lambda z, p: ref_relu(z),
    "leaky_relu": lambda z, p: ref_leaky_relu(z, p["alpha"]), "linear": lambda z, p: z,
    "gelu": lambda z, p: ref_gelu(z), "gelu_tanh": lambda z, p: ref_gelu_tanh(z), "silu": lambda z, p: ref_silu(z),
    "mish": lambda z, p: ref_mish(z), "elu": lambda z, p: ref_elu(z, p["alpha"]), "selu": lambda z, p: ref_selu(z),
    "softplus": lambda z, p: ref_softplus(z), "softsign": lambda z, p: ref_softsign(z),
    "hard_sigmoid": lambda z, p: ref_hard_sigmoid(z, p["alpha"], p["beta"]),
    "hard_silu": lambda z, p: ref_hard_silu(z), "exponential": lambda z, p: ref_exponential(z),
    "relu6": lambda z, p: np.clip(z, 0.0, 6.0), "clip": lambda z, p: np.clip(z, p["min"], p["max"]),
}
IN_OWN_DTYPE = ("sigmoid", "tanh", "relu", "leaky_relu", "linear", "hard_sigmoid", "relu6", "clip")


def ref_activation(name, z, params):
    """g(z) for a layer whose activation takes ``params`` (a dict; a float is leaky_relu's α)."""
    if not isinstance(params, dict):
        params = {"alpha": params}
    if name == "softmax":
        return ref_softmax(z)
    if name == "log_softmax":
        return ref_log_softmax(z)
    z = np.asarray(z)
    # A reference may take NumPy's direct route through NaN (logaddexp warns
    # on it): the engine's own quiet is tested apart, not the reference's.
    with np.errstate(invalid="ignore"):
        if name in IN_OWN_DTYPE or z.dtype == np.float64:
            return ELEMENTWISE_REFS[name](z, params)
        # The rest are computed in float64 and rounded once to the layer's precision.
        with np.errstate(over="ignore"):
            return ELEMENTWISE_REFS[name](z.astype(np.float64), params).astype(z.dtype)


def ref_rtol_ulps(name, z, ulps=16):
    """The reference's own error, in ulps: math.erfc of the rounded z/√2 is
    off by about z² ulps, and e^(−2u) of the rounded u by |2u| (the engine
    does not round these, so the two differ by the reference's error)."""
    z = np.asarray(z, dtype=np.float64)
    z = np.abs(z[np.isfinite(z)])
    if z.size == 0:
        return ulps
    if name == "gelu":
        return ulps * max(1.0, float(np.minimum(z, 40.0).max()) ** 2)
    if name == "gelu_tanh":
        zc = np.minimum(z, 1e4)
        return ulps * max(1.0, float((2 * math.sqrt(2 / math.pi) * (zc + 0.044715 * zc**3)).max()))
    return ulps

"""The activation functions and their derivatives, stable for any float64 z.

What every function here keeps to:

- a finite z gives the mathematically right value, as float64 rounds it:
  ``exp`` only sees arguments that cannot overflow, and a value overflows
  only where the true one is past float64 (selu(1.8e308), e^800): then ±∞,
  without a warning. So σ(−710) is a subnormal, not 0, and hard_silu(1e308)
  is 1e308, where PyTorch's x·(x + 3)/6 overflows;
- ±∞ and NaN give what PyTorch, TensorFlow and ONNX Runtime give (they
  agree): gelu(−∞) = −∞·0 = NaN, softsign(±∞) = ∞/∞ = NaN, elu(−∞) = −α. A
  non-finite z has no mathematical value, and the debugger shows what the
  model does with it;
- a derivative gives the limits at ±∞ (0 on a flat side, the line's slope
  on the other), NaN for NaN, and at a kink the slope of the flat side, as
  the frameworks' gradients do (relu6′(6) = 0);
- the work is done in float64 and the value returned in z's own float dtype,
  rounded once (a float32 model's z stays float32).

Parameters come positionally, in the order the activation's entry in
``activations.py`` declares them: ``elu(z, alpha)``, ``clip(z, lo, hi)``.
"""

from __future__ import annotations

import math
import numpy as np
import numpy.typing as npt

from .normal import normal_cdf, normal_pdf

Array = np.ndarray
F64 = npt.NDArray[np.float64]

SELU_ALPHA = 1.6732632423543772848170429916717  # Klambauer et al. 2017, as PyTorch and Keras write them
SELU_SCALE = 1.0507009873554804934193349852946
GELU_TANH_K = math.sqrt(2.0 / math.pi)
GELU_TANH_C = 0.044715
FLAT_PAST = 800.0  # past ±800 every gate here is exactly 0 or 1 and every bump's slope 0 in float64


def _f64(z: Array) -> F64:
    return np.asarray(z, dtype=np.float64)


def _as_z(a: Array, z: Array) -> Array:
    """``a`` in z's float dtype (float64 for anything else), rounded once."""
    dtype = np.asarray(z).dtype
    if dtype.kind != "f" or dtype == np.float64:
        return a
    with np.errstate(over="ignore"):  # past float32's range the value is ±∞, as the framework's
        out: Array = np.asarray(a).astype(dtype)
    return out


def _gated(z: Array, gate: Array) -> Array:
    """z·gate for a gate in [0, 1]: ±∞·0 is NaN, as the frameworks compute it."""
    with np.errstate(invalid="ignore"):
        out: Array = z * gate
    return out


def _keep_nan(z: Array, slope: Array) -> Array:
    return np.where(np.isnan(z), np.nan, slope)


# -- the sigmoid family ---------------------------------------------------------------------
def sigmoid(z: Array) -> Array:
    z = np.asarray(z)
    # exp(-|z|) lies in [0, 1], so neither branch can overflow.
    e: Array = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_slope(z: Array) -> Array:
    # σ'(z) = e^−|z| / (1 + e^−|z|)²: no 1 − σ(z) that rounds to 0 past |z| ≈ 37.
    e = np.exp(-np.abs(_f64(z)))
    return e / (1.0 + e) ** 2


def tanh(z: Array) -> Array:
    a: Array = np.tanh(np.asarray(z))
    return a


def tanh_slope(z: Array) -> Array:
    # 1 − tanh²(z) = 4e^−2|z| / (1 + e^−2|z|)²: no cancellation where tanh rounds to ±1.
    e = np.exp(-np.abs(_f64(z)))
    e2 = e * e  # e^−2|z|, without doubling a z near the float64 limit
    return 4.0 * e2 / (1.0 + e2) ** 2


def softsign(z: Array) -> Array:
    z64 = _f64(z)
    with np.errstate(invalid="ignore"):  # ±∞/∞ is NaN, as in the frameworks
        return _as_z(z64 / (1.0 + np.abs(z64)), z)


def softsign_slope(z: Array) -> Array:
    r = 1.0 / (1.0 + np.abs(_f64(z)))  # squared after the division: no (1 + |z|)² to overflow
    return r * r


def hard_sigmoid(z: Array, alpha: float, beta: float) -> Array:
    z = np.asarray(z)
    with np.errstate(over="ignore"):  # α·z past float64 is clipped to 0 or 1 all the same
        return np.minimum(np.maximum(alpha * z + beta, 0.0), 1.0)


def hard_sigmoid_slope(z: Array, alpha: float, beta: float) -> Array:
    z64 = _f64(z)
    with np.errstate(over="ignore"):
        u = alpha * z64 + beta
    return _keep_nan(z64, np.where((u > 0.0) & (u < 1.0), alpha, 0.0))


# -- the ReLU family --------------------------------------------------------------------------
def relu(z: Array) -> Array:
    # np.maximum propagates NaN, unlike a boolean mask.
    a: Array = np.maximum(np.asarray(z), 0.0)
    return a


def relu_slope(z: Array) -> Array:
    z = _f64(z)
    return _keep_nan(z, np.where(z > 0, 1.0, 0.0))


def leaky_relu(z: Array, alpha: float) -> Array:
    z = np.asarray(z)
    # NaN > 0 is False, and alpha * NaN is NaN: NaN propagates.
    with np.errstate(over="ignore"):  # a slope past 1 times a z near the limit: −∞, the right answer
        return np.where(z > 0, z, alpha * z)


def leaky_relu_slope(z: Array, alpha: float) -> Array:
    z = _f64(z)
    return _keep_nan(z, np.where(z > 0, 1.0, alpha))


def relu6(z: Array) -> Array:
    a: Array = np.minimum(np.maximum(np.asarray(z), 0.0), 6.0)
    return a


def relu6_slope(z: Array) -> Array:
    z = _f64(z)
    return _keep_nan(z, np.where((z > 0.0) & (z < 6.0), 1.0, 0.0))


def clip(z: Array, lo: float, hi: float) -> Array:
    a: Array = np.minimum(np.maximum(np.asarray(z), lo), hi)
    return a


def clip_slope(z: Array, lo: float, hi: float) -> Array:
    z = _f64(z)
    return _keep_nan(z, np.where((z > lo) & (z < hi), 1.0, 0.0))


def elu(z: Array, alpha: float) -> Array:
    z64 = _f64(z)
    return _as_z(np.where(z64 > 0, z64, alpha * np.expm1(np.minimum(z64, 0.0))), z)


def elu_slope(z: Array, alpha: float) -> Array:
    z64 = _f64(z)
    return _keep_nan(z64, np.where(z64 > 0, 1.0, alpha * np.exp(np.minimum(z64, 0.0))))


def selu(z: Array) -> Array:
    z64 = _f64(z)
    with np.errstate(over="ignore"):  # λ·z past 1.71e308 is ∞, the right answer
        line = SELU_SCALE * z64
    return _as_z(np.where(z64 > 0, line, SELU_SCALE * SELU_ALPHA * np.expm1(np.minimum(z64, 0.0))), z)


def selu_slope(z: Array) -> Array:
    z64 = _f64(z)
    curve = SELU_SCALE * SELU_ALPHA * np.exp(np.minimum(z64, 0.0))
    return _keep_nan(z64, np.where(z64 > 0, SELU_SCALE, curve))


def softplus(z: Array) -> Array:
    z64 = _f64(z)
    # log(1 + e^z) = max(z, 0) + log(1 + e^−|z|): no e^z to overflow.
    return _as_z(np.maximum(z64, 0.0) + np.log1p(np.exp(-np.abs(z64))), z)


def softplus_slope(z: Array) -> Array:
    return sigmoid(_f64(z))


def exponential(z: Array) -> Array:
    z64 = _f64(z)
    with np.errstate(over="ignore"):  # e^z past z = 709.78 is ∞, the right answer
        return _as_z(np.exp(z64), z)


def exponential_slope(z: Array) -> Array:
    with np.errstate(over="ignore"):
        out: Array = np.exp(_f64(z))
    return out


def linear(z: Array) -> Array:
    return np.asarray(z)


def linear_slope(z: Array) -> Array:
    z = _f64(z)
    return _keep_nan(z, np.ones_like(z))


# -- z times a gate: GELU, SiLU, Mish, hard SiLU --------------------------------------------
def gelu(z: Array) -> Array:
    z64 = _f64(z)
    return _as_z(_gated(z64, normal_cdf(z64)), z)


def gelu_slope(z: Array) -> Array:
    zc = np.clip(_f64(z), -FLAT_PAST, FLAT_PAST)  # past ±40 the slope is 0 or 1 exactly
    slope: Array = normal_cdf(zc) + zc * normal_pdf(zc)
    return slope


def _gelu_tanh_arg(zc: Array) -> Array:
    # ½(1 + tanh u) = σ(2u), with u = √(2/π)·(z + 0.044715·z³)
    v: Array = 2.0 * GELU_TANH_K * (zc + GELU_TANH_C * zc * zc * zc)
    return v


def gelu_tanh(z: Array) -> Array:
    z64 = _f64(z)
    zc = np.clip(z64, -FLAT_PAST, FLAT_PAST)  # no z³ to overflow; σ is 0 or 1 long before
    return _as_z(_gated(z64, sigmoid(_gelu_tanh_arg(zc))), z)


def gelu_tanh_slope(z: Array) -> Array:
    zc = np.clip(_f64(z), -FLAT_PAST, FLAT_PAST)
    v = _gelu_tanh_arg(zc)
    dv = 2.0 * GELU_TANH_K * (1.0 + 3.0 * GELU_TANH_C * zc * zc)
    slope: Array = sigmoid(v) + zc * dv * sigmoid_slope(v)
    return slope


def silu(z: Array) -> Array:
    z64 = _f64(z)
    return _as_z(_gated(z64, sigmoid(z64)), z)


def silu_slope(z: Array) -> Array:
    zc = np.clip(_f64(z), -FLAT_PAST, FLAT_PAST)
    slope: Array = sigmoid(zc) + zc * sigmoid_slope(zc)
    return slope


def _softplus_tanh(z: Array) -> tuple[Array, Array]:
    """(tanh(softplus(z)), 1 − tanh²(softplus(z))), from t = e^−|z| ∈ [0, 1].

    With u = 1 + e^z, tanh(log u) = (u² − 1)/(u² + 1): for z ≤ 0 (t = e^z)
    it is A/(A + 2) with A = t(t + 2); for z > 0, multiplied through by
    e^−2z, (1 + 2t)/(1 + 2t + 2t²). 1 − w² is written out too, so it does
    not cancel where w rounds to 1."""
    t = np.exp(-np.abs(z))
    a = t * (t + 2.0)
    d_neg, d_pos = a + 2.0, 1.0 + 2.0 * t + 2.0 * t * t
    w = np.where(z > 0, (1.0 + 2.0 * t) / d_pos, a / d_neg)
    one_minus_w2 = np.where(z > 0, (2.0 * t * (1.0 + t) / d_pos) ** 2, (2.0 * (1.0 + t) / d_neg) ** 2)
    return w, one_minus_w2


def mish(z: Array) -> Array:
    z64 = _f64(z)
    return _as_z(_gated(z64, _softplus_tanh(z64)[0]), z)


def mish_slope(z: Array) -> Array:
    zc = np.clip(_f64(z), -FLAT_PAST, FLAT_PAST)
    w, one_minus_w2 = _softplus_tanh(zc)
    slope: Array = w + zc * one_minus_w2 * sigmoid(zc)
    return slope


def hard_silu(z: Array) -> Array:
    z64 = _f64(z)
    return _as_z(_gated(z64, np.minimum(np.maximum(z64 + 3.0, 0.0), 6.0) / 6.0), z)


def hard_silu_slope(z: Array) -> Array:
    z64 = _f64(z)
    return _keep_nan(z64, np.where(z64 <= -3.0, 0.0, np.where(z64 >= 3.0, 1.0, z64 / 3.0 + 0.5)))


# -- whole-layer functions ---------------------------------------------------------------------
def softmax(z: Array, axis: int = -1) -> Array:
    """Softmax over ``axis``, shifted by the row's maximum so nothing overflows.

    As PyTorch, TensorFlow and ONNX Runtime compute it: a −∞ entry gets 0; a
    row holding NaN or +∞, or only −∞, is NaN (∞ − ∞), so the debugger shows
    what the framework that made the model shows.
    """
    z = np.asarray(z)
    with np.errstate(invalid="ignore", over="ignore"):
        e: Array = np.exp(z - np.max(z, axis=axis, keepdims=True))
        a: Array = e / np.sum(e, axis=axis, keepdims=True)
        return a


def softmax_slope(a: Array) -> Array:
    """The diagonal term ∂a_j/∂z_j = a_j(1 − a_j): softmax is given its *outputs*."""
    a = _f64(a)
    return a * (1.0 - a)


def log_softmax(z: Array, axis: int = -1) -> Array:
    """z_j − max − log Σ e^(z_k − max), as the frameworks compute it: a −∞
    entry stays −∞; a row holding NaN or +∞, or only −∞, is NaN."""
    z = np.asarray(z)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        shifted = z - np.max(z, axis=axis, keepdims=True)
        a: Array = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        return a


def log_softmax_slope(a: Array) -> Array:
    """The diagonal term ∂a_j/∂z_j = 1 − e^(a_j), from the *outputs*."""
    with np.errstate(over="ignore"):
        out: Array = -np.expm1(_f64(a))
    return out

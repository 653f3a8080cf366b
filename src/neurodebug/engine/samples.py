"""The samples a network is run on: arrays, not a list of objects.

A file may hold eight hand-written samples or ten million rows of a CSV. Both
are kept the same way: one (samples × inputs) array of inputs, an array of
labels (−1: none), an optional (samples × outputs) array of expected outputs
(a row of NaN: none) and the names. A ``Sample`` is made only when one row is
asked for, so counting, stacking and judging a million samples costs array
operations, not a million objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

NO_LABEL = -1


@dataclass
class Sample:
    """One row: its name, inputs, and what it should give (a class or a vector)."""

    name: str
    x: np.ndarray
    label: int | None = None  # class index (or 0/1 for one sigmoid output)
    expected: np.ndarray | None = None  # the output vector the sample should give

    @property
    def target(self) -> int | np.ndarray | None:
        """What a loss is taken against: the label, else the expected vector."""
        return self.label if self.label is not None else self.expected


class Names(Sequence[str]):
    """Sample names, given or made up ("row 12") only when read."""

    def __init__(self, given: Sequence[str] | None, count: int, prefix: str = "sample") -> None:
        self._given = given
        self._count = count
        self._prefix = prefix

    def __len__(self) -> int:
        return self._count

    @property
    def given(self) -> Sequence[str] | None:
        """The names the file gave, or None (they are made up: "row 12")."""
        return self._given

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._count))]
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise IndexError(f"sample {i} out of range 0..{self._count - 1}")
        if self._given is not None:
            return str(self._given[i])
        return f"{self._prefix} {i + 1}"


class Samples(Sequence[Sample]):
    """Every sample of a network, as arrays; indexing gives a ``Sample``."""

    def __init__(self, x: np.ndarray, labels: np.ndarray | None = None, expected: np.ndarray | None = None,
                 names: Sequence[str] | None = None, prefix: str = "sample") -> None:
        x = np.asarray(x)
        if x.ndim != 2:
            raise ValueError(f"sample inputs must be a (samples × inputs) array, got shape {x.shape}")
        n = x.shape[0]
        if labels is not None and np.shape(labels) != (n,):
            raise ValueError(f"{np.size(labels)} labels for {n} samples")
        if expected is not None and (np.ndim(expected) != 2 or np.shape(expected)[0] != n):
            raise ValueError(f"expected outputs of shape {np.shape(expected)} for {n} samples")
        if names is not None and len(names) != n:
            raise ValueError(f"{len(names)} names for {n} samples")
        self._x = x
        self._labels = None if labels is None else np.asarray(labels, dtype=np.int64)
        self._expected = None if expected is None else np.asarray(expected, dtype=np.float64)
        self._names = Names(names, n, prefix)

    @classmethod
    def of(cls, samples: Iterable[Sample], n_inputs: int | None = None) -> Samples:
        """The table of a list of ``Sample`` objects (labels and expected vectors kept)."""
        rows = list(samples)
        if not rows:
            return cls(np.zeros((0, n_inputs or 0)))
        x = np.stack([np.asarray(s.x) for s in rows])
        labels = None
        if any(s.label is not None for s in rows):
            labels = np.array([NO_LABEL if s.label is None else s.label for s in rows], dtype=np.int64)
        expected = None
        if any(s.expected is not None for s in rows):
            width = next(np.size(s.expected) for s in rows if s.expected is not None)
            expected = np.full((len(rows), width), np.nan)
            for i, s in enumerate(rows):
                if s.expected is not None:
                    expected[i] = np.asarray(s.expected, dtype=np.float64).ravel()
        return cls(x, labels, expected, [s.name for s in rows])

    # -- the arrays ---------------------------------------------------------------
    @property
    def x(self) -> np.ndarray:
        """(samples × inputs), in the dtype the file gave."""
        return self._x

    @property
    def labels(self) -> np.ndarray | None:
        """Class per sample, NO_LABEL where a sample has none; None when none has one."""
        return self._labels

    @property
    def expected(self) -> np.ndarray | None:
        """(samples × outputs), a NaN row where a sample expects nothing; None when none does."""
        return self._expected

    @property
    def names(self) -> Names:
        return self._names

    def names_for(self, n: int) -> Sequence[str]:
        """Names of the n rows of a trace: these samples' when the trace was
        run on them, else "sample 1", "sample 2", …"""
        return self._names if len(self) == n else Names(None, n)

    # -- a Sequence of Sample ------------------------------------------------------
    def __len__(self) -> int:
        return int(self._x.shape[0])

    @overload
    def __getitem__(self, i: int) -> Sample: ...
    @overload
    def __getitem__(self, i: slice) -> Samples: ...
    def __getitem__(self, i: int | slice) -> Sample | Samples:
        if isinstance(i, slice):
            rows = np.arange(len(self))[i]
            return self.take(rows)
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"sample {i} out of range 0..{n - 1}")
        label = None
        if self._labels is not None and self._labels[i] != NO_LABEL:
            label = int(self._labels[i])
        expected = None
        if self._expected is not None and not np.isnan(self._expected[i]).all():
            expected = self._expected[i]
        return Sample(self._names[i], self._x[i], label, expected)

    def __iter__(self) -> Iterator[Sample]:
        return (self[i] for i in range(len(self)))

    def __add__(self, other: Samples | Sequence[Sample]) -> Samples:
        other = other if isinstance(other, Samples) else Samples.of(other, self._x.shape[1])
        if not len(other):
            return self
        if not len(self):
            return other
        return Samples.of([*self, *other])

    def __radd__(self, other: Sequence[Sample]) -> Samples:
        return Samples.of(other, self._x.shape[1]) + self

    def targets(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, y): the samples a loss can be taken over and what each should
        give — the labelled ones with their classes, else those with an
        expected vector; None when no sample says. As arrays, for any size."""
        if self._labels is not None:
            rows = np.flatnonzero(self._labels != NO_LABEL)
            if rows.size:
                return rows, self._labels[rows]
        if self._expected is not None:
            rows = np.flatnonzero(~np.isnan(self._expected).all(axis=1))
            if rows.size:
                return rows, self._expected[rows]
        return None

    def take(self, rows: np.ndarray) -> Samples:
        """The samples at ``rows``, in that order."""
        names = [self._names[int(r)] for r in rows]
        return Samples(self._x[rows], None if self._labels is None else self._labels[rows],
                       None if self._expected is None else self._expected[rows], names)

    def labelled(self, labels: np.ndarray) -> Samples:
        """These samples with ``labels`` (one class per row, NO_LABEL: none)
        instead of their own; the names, inputs and expected vectors kept."""
        return Samples(self._x, labels, self._expected, self._names.given, self._names._prefix)

    def index_of(self, name: str) -> int:
        for i, own in enumerate(self._names):
            if own == name:
                return i
        raise KeyError(name)

    # -- editing --------------------------------------------------------------------
    def __setitem__(self, i: int, sample: Sample) -> None:
        """Replace one row (copies of the arrays: older holders keep theirs)."""
        n = len(self)
        if i < 0:
            i += n
        self.with_input(i, slice(None), sample.x)
        if sample.label is not None or self._labels is not None:
            labels = np.full(n, NO_LABEL, dtype=np.int64) if self._labels is None else self._labels.copy()
            labels[i] = NO_LABEL if sample.label is None else sample.label
            self._labels = labels
        if self._expected is not None:
            expected: np.ndarray | None = self._expected.copy()
        elif sample.expected is not None:
            expected = np.full((n, np.size(sample.expected)), np.nan)
        else:
            expected = None  # neither the table nor the sample expects anything
        if expected is not None:
            expected[i] = np.nan if sample.expected is None else np.asarray(sample.expected, dtype=np.float64).ravel()
            self._expected = expected
        names = list(self._names)
        names[i] = sample.name
        self._names = Names(names, n)

    def with_label(self, row: int, label: int | None) -> None:
        """Set (or, None, remove) one sample's label; the array is copied first."""
        labels = np.full(len(self), NO_LABEL, dtype=np.int64) if self._labels is None else self._labels.copy()
        labels[row] = NO_LABEL if label is None else label
        self._labels = None if (labels == NO_LABEL).all() else labels

    def with_expected_table(self, expected: np.ndarray) -> None:
        """A (samples × outputs) table of expected outputs, for a table that had none."""
        assert self._expected is None and expected.shape[0] == len(self)
        self._expected = np.asarray(expected, dtype=np.float64)

    def with_expected(self, row: int, output: int, value: float) -> None:
        """Set one expected output of a sample that has an expected vector."""
        assert self._expected is not None
        expected = self._expected.copy()
        expected[row, output] = value
        self._expected = expected

    def with_input(self, row: int, feature: int | slice, value: float | np.ndarray) -> None:
        """Set one input value. The array is copied first: a trace or an edit
        result holding the old one keeps it unchanged."""
        x = self._x.copy()
        x[row, feature] = value
        self._x = x

"""Symbol timing from zero crossings, feed-forward and vectorised, tracking clock offset.

The decision signal ``d`` (one value every ``hop`` input samples, positive for
one symbol, negative for the other) crosses zero between symbols. For a
nominal symbol period ``P`` (in ``d`` samples) each crossing at time ``t`` gives
a phasor ``exp(2j*pi*t/P)``; their sum over a window of ``window_symbols``
around a time estimates where the symbol boundaries fall there. A transmitter
whose clock is off by a fraction ``r`` turns the phasors by ``2*pi*r`` a symbol,
and over a window of W symbols they cancel once ``r*W`` nears 1 (5 % off over
24 symbols): so the sum is taken under several clock hypotheses (each crossing
counter-rotated by its distance from the window's centre, which leaves the
phase at the centre comparable between hypotheses), and at each time the one
whose sums are largest over the surrounding window symbols wins (a clock offset
lasts a frame, noise does not; the nominal clock wins near ties). A short frame a few per cent off nominal is then
locked within its first flags. Unwrapping the phase along the stream follows
the clock; symbol centres are where ``(t - P*phase/(2*pi))/P - 1/2`` is a whole
number. Output: the decision signal interpolated at those centres (soft
symbols) and their times.

>>> import numpy as np
>>> period = 8.0 * 1.02  # a clock 2 % slow
>>> symbols = np.random.default_rng(1).integers(0, 2, 400) * 2 - 1
>>> t = np.arange(int(400 * period))
>>> d = np.sin(np.pi * (t / period % 1)) * symbols[(t / period).astype(int)]  # a smooth eye
>>> timing = TimingRecovery(nominal_period=8.0, window_symbols=16)
>>> soft, times = timing.process(d.astype(np.float32))
>>> recovered = (soft > 0) * 2 - 1
>>> start = int(np.round(times[20] / period - 0.5))
>>> bool(np.array_equal(recovered[20:300], symbols[start:start + 280]))
True
"""

from __future__ import annotations

import numpy as np

#: Clock offsets tried (fractions of the nominal rate): within +-5 % at most 1.25 % is left unmodelled. Wider
#: hypotheses (+-6 %) alias with the 8-symbol rhythm of flags in plain NRZI and lost frames of a clean signal.
CLOCK_OFFSETS = (-0.05, -0.025, 0.0, 0.025, 0.05)
#: The nominal clock wins unless another hypothesis is this much stronger: the 8-symbol rhythm of ASCII text
#: in plain NRZI can make a 5 % hypothesis nearly as strong as the right one on a clean signal.
NOMINAL_PREFERENCE = 1.5


class TimingRecovery:
    """Streaming: call :meth:`process` with consecutive blocks of ``d``; symbols come out with a delay of
    about ``window_symbols / 2`` symbols."""

    def __init__(self, nominal_period: float, window_symbols: float = 16.0,
                 clock_offsets: tuple[float, ...] = CLOCK_OFFSETS) -> None:
        self.period = float(nominal_period)
        self.clock_offsets = np.asarray(clock_offsets, dtype=float)
        # Offsets as whole multiples (at most 4) of one step, when they are: see _hypothesis_phasors.
        nonzero = np.abs(self.clock_offsets[self.clock_offsets != 0])
        step = float(nonzero.min()) if len(nonzero) else 1.0
        multiples = np.round(self.clock_offsets / step).astype(int)
        exact = np.allclose(multiples * step, self.clock_offsets, rtol=0, atol=1e-12) and np.abs(multiples).max() <= 4
        self._offset_step = step if exact else None
        self._offset_multiples = multiples.tolist()
        # The hypothesis is chosen on its strength averaged over +-smooth grid points (a clock offset lasts a
        # frame; noise does not), so the phase is known that much later.
        self.smooth = int(round(window_symbols)) if len(self.clock_offsets) > 1 else 0
        self.lookahead = self.smooth * self.period
        self.half_window = 0.5 * window_symbols * self.period
        self._buffer = np.zeros(0, np.float32)
        self._buffer_start = 0  # index of _buffer[0] in the whole stream
        self._crossings = np.zeros(0)  # crossing times (stream index units) not yet too old
        self._next_grid = 0.0  # next time at which to estimate the phase
        self._last_phase = None
        self._next_symbol = None  # integer label of the next symbol to emit
        self._last_h = -np.inf
        self._last_grid = 0.0

    @staticmethod
    def latency_symbols(window_symbols: float) -> float:
        """Symbols of input held back before a symbol comes out: half the window, the smoothing, one more."""
        return 1.5 * window_symbols + 1.0

    def _window_sums(self, grid: np.ndarray) -> np.ndarray:
        """At each grid time, the crossings' phasor sum under the clock hypothesis that is strongest around it.

        Under a clock offset ``r`` a crossing at ``c`` is counter-rotated by ``2*pi*r*(c - g)/P``: the sum
        ``exp(2j*pi*g*r/P) * sum(exp(2j*pi*c*(1 - r)/P))`` over the window, one cumulative sum a hypothesis.
        The sums are taken on the grid extended by :attr:`smooth` points each side, so that the strength of
        each hypothesis can be averaged around every grid time.
        """
        steps = np.arange(1, self.smooth + 1) * self.period
        extended = np.concatenate([grid[0] - steps[::-1], grid, grid[-1] + steps])
        # Phases relative to the first grid time keep the exponents small however long the stream.
        origin = extended[0]
        crossings = self._crossings - origin
        relative_grid = extended - origin
        angles = 2 * np.pi / self.period * crossings
        cumulative = np.zeros((len(self.clock_offsets), len(crossings) + 1), np.complex128)
        phasors = cumulative[:, 1:]
        self._hypothesis_phasors(angles, phasors)
        np.cumsum(phasors, axis=1, out=phasors)
        sums = self._window_differences(cumulative, extended)  # still to be turned by exp(2j*pi*offset*g/P)
        strength = np.abs(sums)  # the turns leave it unchanged
        if self.smooth:
            cumulative = np.zeros((len(sums), strength.shape[1] + 1))
            np.cumsum(strength, axis=1, out=cumulative[:, 1:])
            strength = cumulative[:, 2 * self.smooth + 1 :] - cumulative[:, : -2 * self.smooth - 1]
        strength[self.clock_offsets == 0.0] *= NOMINAL_PREFERENCE
        best = _first_argmax_of_rows(strength)
        inner = slice(self.smooth, self.smooth + len(grid))
        chosen = sums[:, inner][best, np.arange(len(grid))]
        offset = self.clock_offsets[best]
        turned = np.flatnonzero(offset)  # the nominal clock needs no turn (and mostly wins)
        chosen[turned] *= np.exp(2j * np.pi / self.period * offset[turned] * relative_grid[inner][turned])
        # Back to phases of the stream's own clock: exp(2j*pi*t/P) at t = origin.
        return chosen * np.exp(2j * np.pi * (origin / self.period % 1.0))

    def _window_differences(self, cumulative: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Sums over each window ``times +- half_window`` (``times`` one period apart) from the cumulative
        sums of the crossings' phasors. When the window is a whole number of periods, each window's end is a
        later window's start: one search and one gather."""
        span = 2 * self.half_window / self.period
        shift = int(round(span))
        if abs(span - shift) > 1e-9 or shift < 1:
            lo = np.searchsorted(self._crossings, times - self.half_window)
            hi = np.searchsorted(self._crossings, times + self.half_window)
            return np.take(cumulative, hi, axis=1) - np.take(cumulative, lo, axis=1)
        starts = times[0] - self.half_window + self.period * np.arange(len(times) + shift)
        at_starts = np.take(cumulative, np.searchsorted(self._crossings, starts), axis=1)
        return at_starts[:, shift:] - at_starts[:, : len(times)]

    def _hypothesis_phasors(self, angles: np.ndarray, out: np.ndarray) -> None:
        """``exp(1j * angles * (1 - offset))`` for every clock offset into the rows of ``out``.

        Offsets that are whole multiples of one step (the default ones) take two complex exponentials and
        products (the same values as an exponential a row, at a fraction of the cost).
        """
        if self._offset_step is None:
            out[:] = np.exp(1j * np.outer(1.0 - self.clock_offsets, angles))
            return
        nominal = np.exp(1j * angles)
        turn = np.exp(-1j * self._offset_step * angles)  # one step of clock offset
        powers = [None, turn]
        for _ in range(2, int(np.max(np.abs(self._offset_multiples))) + 1):
            powers.append(powers[-1] * turn)
        for row, k in enumerate(self._offset_multiples):
            if k == 0:
                out[row] = nominal
            else:
                np.multiply(nominal, powers[k] if k > 0 else np.conj(powers[-k]), out=out[row])

    def process(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Soft symbols and their times (in ``d``-sample units from the stream start) for the new data."""
        previous_last = self._buffer[-1:] if len(self._buffer) else np.zeros(0, np.float32)
        self._buffer = np.concatenate([self._buffer, d.astype(np.float32, copy=False)])
        end = self._buffer_start + len(self._buffer)
        # New zero crossings (between the old last sample and the new data too).
        joined = np.concatenate([previous_last, d])
        offset = end - len(joined)
        sign = joined > 0
        where = np.flatnonzero(sign[1:] != sign[:-1])
        if len(where):
            a, b = joined[where], joined[where + 1]
            fraction = a / (a - b)
            self._crossings = np.concatenate([self._crossings, offset + where + fraction])
        # Phase on a grid one symbol apart, up to where the window is complete.
        last_grid = end - 1 - self.half_window - self.lookahead
        if last_grid < self._next_grid:
            return np.zeros(0, np.float32), np.zeros(0)
        grid = np.arange(self._next_grid, last_grid, self.period)
        if len(grid) == 0:
            return np.zeros(0, np.float32), np.zeros(0)
        self._next_grid = grid[-1] + self.period
        angles = np.angle(self._window_sums(grid))
        if self._last_phase is not None:
            angles = _unwrap(np.concatenate([[self._last_phase], angles]))[1:]
        else:
            angles = _unwrap(angles)
        self._last_phase = angles[-1]
        # h(t): how many symbol periods since the boundary phase, minus a half: integers at symbol centres.
        h = (grid - self.period * angles / (2 * np.pi)) / self.period - 0.5
        # Join the previous call's last grid point, so symbols between the calls interpolate correctly.
        h = np.maximum.accumulate(np.concatenate([[self._last_h], h]))
        grid = np.concatenate([[self._last_grid], grid])
        self._last_h, self._last_grid = h[-1], grid[-1]
        if self._next_symbol is None:
            self._next_symbol = int(np.ceil(h[1]))
        labels = np.arange(self._next_symbol, int(np.floor(h[-1])) + 1)
        if len(labels) == 0:
            return np.zeros(0, np.float32), np.zeros(0)
        self._next_symbol = int(labels[-1]) + 1
        times = np.interp(labels, h, grid)
        soft = _interpolate(self._buffer, times - self._buffer_start)
        # Forget what no future window can reach.
        keep_from = int(max(0, self._next_grid - self.half_window - 2 * self.period - self._buffer_start))
        self._buffer = self._buffer[keep_from:]
        self._buffer_start += keep_from
        oldest_needed = self._next_grid - self.half_window - self.period - self.lookahead
        self._crossings = self._crossings[np.searchsorted(self._crossings, oldest_needed):]
        return soft, times


def _unwrap(phases: np.ndarray) -> np.ndarray:
    """``np.unwrap(phases)`` for a 1-D float64 array (the same operations, without its generic set-up).

    >>> bool(np.array_equal(_unwrap(np.array([0.0, 3.0, -3.0, 0.5, np.pi, -np.pi])),
    ...                     np.unwrap(np.array([0.0, 3.0, -3.0, 0.5, np.pi, -np.pi]))))
    True
    """
    if len(phases) < 2:
        return phases.copy()
    steps = np.diff(phases)
    wrapped = np.mod(steps + np.pi, 2 * np.pi) - np.pi
    wrapped[(wrapped == -np.pi) & (steps > 0)] = np.pi
    correction = wrapped - steps
    correction[np.abs(steps) < np.pi] = 0
    out = phases.copy()
    out[1:] += np.cumsum(correction)
    return out


def _first_argmax_of_rows(values: np.ndarray) -> np.ndarray:
    """``np.argmax(values, axis=0)`` for a few rows: row by row over contiguous memory (numpy's argmax along
    the first axis of a C-ordered array strides through it), the first row winning ties as argmax does.

    >>> _first_argmax_of_rows(np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 1.0]])).tolist()
    [1, 0, 0]
    """
    best = np.zeros(values.shape[1], np.intp)
    best_value = values[0].copy()
    for row in range(1, len(values)):
        better = values[row] > best_value
        best[better] = row
        np.maximum(best_value, values[row], out=best_value)
    return best


def _interpolate(samples: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``samples`` linearly interpolated at fractional ``positions`` (within 0 .. len - 1), as float32:
    ``np.interp(positions, np.arange(len(samples)), samples)`` without its search.

    >>> _interpolate(np.array([0.0, 2.0, 4.0], np.float32), np.array([0.5, 1.25, 2.0])).tolist()
    [1.0, 2.5, 4.0]
    """
    if len(samples) < 2:
        return np.full(len(positions), samples[0] if len(samples) else 0.0, np.float32)
    positions = np.clip(positions, 0, len(samples) - 1)
    index = np.minimum(positions.astype(np.intp), len(samples) - 2)
    left = samples[index].astype(np.float64)
    right = samples[index + 1].astype(np.float64)
    return (left + (right - left) * (positions - index)).astype(np.float32)

"""Find energy that follows a track through a sequence of spectra, at several frequency resolutions.

Each spectrum arrives normalised (noise averages 1 in every bin) and, for the
on-track search, already shifted so that a transmitter on the predicted Doppler
curve stays in one bin. At each resolution (groups of 1, 8, 64, ... bins)
the score of a bin is either the plain sum over time (coarse groups: drift is
far below a group) or the best sum along a path allowed to move one group a
frame (fine groups: an oscillator drifting a few hundred Hz over a pass), found
by dynamic programming. Scores of positions away from the best one are the
noise distribution against which the best is judged.

Array code only (numpy functions on whole arrays), so another array backend
could run it unchanged.

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> search = TrackSearch(bins=4096, levels=(1, 8, 64), dp_levels=(1, 8))
>>> for frame in range(200):
...     spectrum = rng.exponential(1.0, 4096)
...     spectrum[1000 + frame // 40] += 1.5          # a weak carrier drifting 5 bins
...     search.add(spectrum)
>>> best = search.best()
>>> best.level, abs(best.position_bins - 1004) <= 1, best.pfa < 1e-6
(1, True, True)
>>> path = best.path_groups
>>> abs(int(path[0]) - 1000) <= 1, int(path[-1])
(True, 1004)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LEVELS = (1, 8, 64, 512, 4096)
DP_LEVELS = (1, 8)
EXCLUDE_GROUPS = 8  # groups either side of the best left out of the noise statistics
PATH_BUDGET_BYTES = 64 << 20
MOVE_PENALTY = 2.0  # a path pays this many noise standard deviations (of its group) for each step sideways:
# without it, every path drifts towards the strongest signal in reach and all positions look alike


@dataclass
class LevelResult:
    level: int  # bins grouped
    best_group: int
    score: float
    noise_mean: float
    noise_std: float
    frames: int
    positions: int  # groups searched (independent trials for the false-alarm probability)
    path_groups: np.ndarray | None  # the best path, one group index per frame (DP levels with paths kept)

    @property
    def z(self) -> float:
        return (self.score - self.noise_mean) / self.noise_std if self.noise_std > 0 else 0.0

    @property
    def pfa(self) -> float:
        """Probability that noise alone gives a score this high somewhere among the positions searched."""
        tail = 0.5 * math.erfc(self.z / math.sqrt(2))
        return min(1.0, self.positions * tail)

    @property
    def position_bins(self) -> float:
        """The best group's centre, in bins of the finest resolution."""
        return (self.best_group + 0.5) * self.level - 0.5

    def excess_per_frame(self) -> float:
        """Signal above the noise, per frame, in units of one bin's noise power (summed over the group)."""
        return max(0.0, (self.score - self.noise_mean) / self.frames) * self.level


class TrackSearch:
    def __init__(self, bins: int, levels=LEVELS, dp_levels=DP_LEVELS, expected_frames: int = 2000,
                 move_penalty: float = MOVE_PENALTY, keep_paths: bool = True) -> None:
        self.bins = bins
        self.move_penalty = move_penalty
        self.levels = [level for level in levels if bins // level >= 4 * EXCLUDE_GROUPS]
        self.dp_levels = set(dp_levels)
        self.scores = {level: np.zeros(bins // level) for level in self.levels}
        self.keep_paths = {
            level: keep_paths and level in self.dp_levels and (bins // level) * expected_frames <= PATH_BUDGET_BYTES
            for level in self.levels
        }
        self.choices: dict[int, list[np.ndarray]] = {level: [] for level in self.levels}
        self.frames = 0

    def add(self, normalised: np.ndarray) -> None:
        for level in self.levels:
            groups = len(self.scores[level])
            grouped = normalised[: groups * level].reshape(groups, level).mean(axis=1)
            if level in self.dp_levels and self.frames > 0:
                previous = self.scores[level]
                penalty = self.move_penalty / np.sqrt(level)  # noise of a group mean: 1 / sqrt(level)
                candidates = np.stack([
                    np.concatenate([previous[1:], [-np.inf]]) - penalty,  # came from the group above
                    previous,
                    np.concatenate([[-np.inf], previous[:-1]]) - penalty,  # came from the group below
                ])
                choice = np.argmax(candidates, axis=0)
                self.scores[level] = candidates[choice, np.arange(groups)] + grouped
                if self.keep_paths[level]:
                    self.choices[level].append((1 - choice).astype(np.int8))  # previous group minus this group
            else:
                self.scores[level] = self.scores[level] + grouped
                if self.keep_paths[level]:  # the first frame of a DP level: nothing came before it
                    self.choices[level].append(None)
        self.frames += 1

    def result(self, level: int, around: int | None = None) -> LevelResult:
        """The best position at ``level`` (or the best within +-EXCLUDE_GROUPS of ``around``)."""
        scores = self.scores[level]
        if around is None:
            best = int(np.argmax(scores))
        else:
            around = min(max(around, 0), len(scores) - 1)
            lo, hi = max(0, around - EXCLUDE_GROUPS), min(len(scores), around + EXCLUDE_GROUPS + 1)
            best = lo + int(np.argmax(scores[lo:hi]))
        mask = np.ones(len(scores), bool)
        mask[max(0, best - EXCLUDE_GROUPS) : best + EXCLUDE_GROUPS + 1] = False
        off = scores[mask]
        median = float(np.median(off))
        spread = float(np.median(np.abs(off - median))) * 1.4826
        return LevelResult(level, best, float(scores[best]), median, spread, self.frames, len(scores),
                           self._path(level, best))

    def best(self) -> LevelResult:
        """The most significant detection over all levels (its P_fa counts every level searched)."""
        results = [self.result(level) for level in self.levels]
        chosen = min(results, key=lambda r: (r.pfa, -r.z))
        chosen_positions = chosen.positions * len(self.levels)
        return LevelResult(chosen.level, chosen.best_group, chosen.score, chosen.noise_mean, chosen.noise_std,
                           chosen.frames, chosen_positions, chosen.path_groups)

    def _path(self, level: int, end_group: int) -> np.ndarray | None:
        if not self.keep_paths[level] or not self.choices[level]:
            return None
        path = np.empty(self.frames, np.int64)
        path[-1] = end_group
        for frame in range(self.frames - 1, 0, -1):
            step = self.choices[level][frame]  # how the path came into `frame` from the frame before
            path[frame - 1] = path[frame] + int(step[path[frame]])
        return path

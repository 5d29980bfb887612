"""Exponential backoff with full jitter, capped; reset after a healthy period.

Full jitter (a uniform pick between 0 and the exponential ceiling) keeps a
fleet of clients from reconnecting to a restarted Gerrit in lockstep.
"""
import random
from typing import Callable


class Backoff:
    def __init__(self, initial: float, cap: float, rand: Callable[[float, float], float] = random.uniform):
        self.initial, self.cap, self._rand = initial, cap, rand
        self.attempt = 0

    def ceiling(self) -> float:
        return min(self.cap, self.initial * (2 ** min(self.attempt, 62)))

    def next(self) -> float:
        delay = self._rand(0, self.ceiling())
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0

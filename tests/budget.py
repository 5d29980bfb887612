"""How long the fuzz and soak tests run. `make test` keeps them short (the
whole suite's budget is about 5 minutes on 2 cores); `make fuzz` runs the same
tests DRIVERLOG_FUZZ_SCALE times longer."""
import os

SCALE = float(os.environ.get("DRIVERLOG_FUZZ_SCALE", "1"))


def scaled(n: int) -> int:
    """`n` examples (or rounds) times the scale, at least one."""
    return max(1, int(n * SCALE))

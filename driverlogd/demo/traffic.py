"""Vendor CI traffic for the demo: changes, CI reports and merges on the stand-in.

Each CI account gets a temperament (reliable, flaky, broken, gone silent,
never configured right) so the dashboard shows every CI state. Report lines
are made from the catalog's own patterns, so they match the way real ones do.
"""
import random
import time

import re2

from driverlogd.catalog.model import compile_pattern

# Regex pieces the sample patterns use, and text that satisfies each.
_PIECES = ((r"\S+", "https://ci.example.org/logs/{n}/"), (r"\s+", " "), (r"\s*", " "),
           (r".*", " "), (r".+", " x "), (r"\d+", "42"), (r"\w+", "job"), (r"\s", " "))
TEMPERAMENTS = ("reliable", "reliable", "reliable", "flaky", "broken", "silent", "unseen")


def example_line(pattern, n=1):
    """A line that `pattern` matches, or None when this simple rewrite cannot make one."""
    text = pattern.strip("^$")
    while "(" in text and "|" in text:      # (a|b) -> a
        start = text.index("(")
        end = text.index(")", start)
        text = text[:start] + text[start + 1:end].split("|")[0] + text[end + 1:]
    for piece, example in _PIECES:
        text = text.replace(piece, example.format(n=n))
    text = text.replace("\\", "")
    return text if compile_pattern(pattern).search(text) else None


# Series whose branch had left its maintained phase by late 2026, the time the
# sample catalog models: their branch is unmaintained/<series>.
UNMAINTAINED = frozenset({"2023.1", "2023.2", "2024.1"})


def demo_branches(catalog):
    """The stable branches of the active releases as OpenStack names them: by
    series since 2023.1, `unmaintained/` once past maintenance. The newest
    release is in development: it is master, and has no branch yet."""
    out = []
    for r in catalog.active_releases[:-1]:
        name = r.series or r.id.lower()
        out.append(f"{'unmaintained' if name in UNMAINTAINED else 'stable'}/{name}")
    return out


class Traffic:
    def __init__(self, server, catalog, seed=2026):
        self.server = server
        self.rng = random.Random(seed)
        self.n = 0
        groups = {}
        for d in catalog.drivers:
            if d.ci:
                groups.setdefault((d.ci.id, d.ci_repo), []).append(d)
        self.groups = sorted(groups.items())
        self.temper = {key: TEMPERAMENTS[i % len(TEMPERAMENTS)]
                       for i, (key, _) in enumerate(self.groups)}
        self.branches = ["master"] + demo_branches(catalog)

    def _report(self, drivers, passing):
        """The CI's comment: one job line per driver it tests, as Zuul-style CIs write."""
        lines = []
        for d in drivers:
            ok = passing(d)
            line = example_line(d.ci.success_pattern if ok else d.ci.failure_pattern, self.n)
            if line and not (not ok and re2.search(d.ci.success_pattern, line)):
                lines.append(f"- {line} in {self.rng.randint(20, 90)}m {self.rng.randint(0, 59)}s")
        if not lines:
            return None
        head = "Build succeeded." if all(passing(d) for d in drivers) else "Build failed."
        return head + " (check pipeline)\n\n" + "\n".join(lines)

    def review(self, key, drivers, merge_first=False):
        """One change's life: upload, a recheck now and then, the CI's report, merge."""
        ci_id, repo = key
        temper = self.temper[key]
        self.n += 1
        branch = self.rng.choice(self.branches) if self.rng.random() < 0.3 else "master"
        number = self.server.create_change(repo, branch, subject=f"Fix {self.n} in {repo}")
        if self.rng.random() < 0.3:
            self.server.upload_patchset(number)
        if self.rng.random() < 0.2:
            self.server.add_comment(number, None, "alice", "recheck")
        self.server.add_comment(number, None, ci_id, "Starting check jobs.")
        odds = {"reliable": 0.95, "flaky": 0.6, "broken": 0.05}.get(temper, 0.9)
        message = self._report(drivers, lambda d: self.rng.random() < odds)
        if merge_first:
            self.server.merge(number)
        if message and temper != "unseen":
            # An "unseen" CI is configured in the catalog but its account never reports.
            self.server.add_comment(number, None, ci_id, message,
                                    approvals={"Verified": 1 if "succeeded" in message else -1})
        if not merge_first and self.rng.random() < 0.85:
            self.server.merge(number)

    def step(self):
        """One review by a CI that is still reporting."""
        live = [(k, v) for k, v in self.groups if self.temper[k] not in ("silent", "unseen")]
        key, drivers = self.rng.choice(live)
        self.review(key, drivers, merge_first=self.rng.random() < 0.3)

    def seed_history(self, store_clock, days=60, per_group=4):
        """Reviews in the past, for the daemon's bootstrap to find; silent CIs stop early."""
        now = time.time()
        for key, drivers in self.groups:
            for _ in range(per_group):
                stop = 35 if self.temper[key] == "silent" else 0
                age = self.rng.uniform(stop, days) * 86400
                store_clock.set(now - age)
                self.review(key, drivers, merge_first=self.rng.random() < 0.3)
        store_clock.set(None)


class SettableClock:
    """A clock the history seeding can wind back; None means real time."""

    def __init__(self):
        self.at = None

    def set(self, at):
        self.at = at

    def __call__(self):
        return time.time() if self.at is None else self.at

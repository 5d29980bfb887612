"""What a proposed catalog change does, for the reviewer: pure, on decoded documents."""
from typing import Dict, List, Tuple


def _key(d: dict) -> tuple:
    return tuple(str(d.get(k, "")) for k in ("project_id", "vendor", "name"))


def _listed(doc) -> list:
    drivers = doc.get("drivers") if isinstance(doc, dict) else None
    return drivers if isinstance(drivers, list) else []


def _drivers(doc) -> Dict[tuple, dict]:
    return {_key(d): d for d in _listed(doc) if isinstance(d, dict)}


def ci_changed(old, new) -> List[Tuple[int, dict]]:
    """(index in new's drivers, driver) of every driver whose `ci` section is
    new or differs from the same driver's in `old`."""
    before = _drivers(old)
    return [(i, d) for i, d in enumerate(_listed(new))
            if isinstance(d, dict) and d.get("ci")
            and (before.get(_key(d)) or {}).get("ci") != d["ci"]]


def _ids(doc, key) -> List[str]:
    items = doc.get(key) if isinstance(doc, dict) else None
    return [str(x.get("id")) for x in items if isinstance(x, dict)] \
        if isinstance(items, list) else []


def _releases(d) -> List[str]:
    r = d.get("releases")
    return [x for x in r if isinstance(x, str)] if isinstance(r, list) else []


def summarize(old, new) -> dict:
    """Drivers added, removed, changed; CI sections added, changed, removed; release claims."""
    before, after = _drivers(old), _drivers(new)
    out = {"drivers_added": [], "drivers_removed": [], "drivers_changed": [],
           "ci_added": [], "ci_changed": [], "ci_removed": [], "releases_claimed": [],
           "projects_added": sorted(set(_ids(new, "projects")) - set(_ids(old, "projects"))),
           "releases_added": [r for r in _ids(new, "releases")
                              if r not in set(_ids(old, "releases"))]}
    for key, d in after.items():
        name = " / ".join(key)
        was = before.get(key)
        if was is None:
            out["drivers_added"].append(name)
            if d.get("ci"):
                out["ci_added"].append(name)
            claimed = _releases(d)
        else:
            fields = sorted(k for k in set(d) | set(was) if d.get(k) != was.get(k))
            if fields:
                out["drivers_changed"].append({"driver": name, "fields": fields})
            if d.get("ci") and not was.get("ci"):
                out["ci_added"].append(name)
            elif was.get("ci") and not d.get("ci"):
                out["ci_removed"].append(name)
            elif d.get("ci") != was.get("ci"):
                out["ci_changed"].append(name)
            claimed = [r for r in _releases(d) if r not in _releases(was)]
        if claimed:
            out["releases_claimed"].append({"driver": name, "releases": claimed})
    out["drivers_removed"] = [" / ".join(k) for k in before if k not in after]
    return out


def describe(summary: dict) -> List[str]:
    """The summary as short lines for the text report."""
    s = summary
    lines = [f"{len(s['drivers_added'])} driver(s) added, {len(s['drivers_removed'])} "
             f"removed, {len(s['drivers_changed'])} changed; CI added for "
             f"{len(s['ci_added'])}, changed for {len(s['ci_changed'])}, removed for "
             f"{len(s['ci_removed'])}; "
             f"{sum(len(c['releases']) for c in s['releases_claimed'])} release claim(s) added"]
    lines += [f"  + {d}" for d in s["drivers_added"]]
    lines += [f"  - {d}" for d in s["drivers_removed"]]
    lines += [f"  ~ {c['driver']}: {', '.join(c['fields'])}" for c in s["drivers_changed"]]
    lines += [f"  ci + {d}" for d in s["ci_added"]]
    lines += [f"  ci ~ {d}" for d in s["ci_changed"]]
    lines += [f"  ci - {d}" for d in s["ci_removed"]]
    lines += [f"  claims {', '.join(c['releases'])}: {c['driver']}"
              for c in s["releases_claimed"]]
    if s["projects_added"]:
        lines.append(f"  projects added: {', '.join(s['projects_added'])}")
    if s["releases_added"]:
        lines.append(f"  releases added: {', '.join(s['releases_added'])}")
    return lines

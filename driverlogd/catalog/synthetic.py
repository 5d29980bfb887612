"""Valid catalogs of any size, for benchmarks and scaling tests.

Shaped like the real one: ~1 KB a driver, two thirds with CI, accounts shared
by a few drivers and told apart by distinct patterns, some drivers in their own
repositories. Deterministic for a given size.
"""
import json

_PROJECTS = ("openstack/cinder", "openstack/ironic", "openstack/manila",
             "openstack/neutron", "openstack/nova")
_RELEASES = (("Wallaby", "2020-Oct-26"), ("Xena", "2021-Apr-19"), ("Yoga", "2021-Sep-13"),
             ("Zed", "2022-Mar-28"), ("Antelope", "2022-Sep-19"), ("Bobcat", "2023-Mar-27"),
             ("Caracal", "2023-Sep-25"), ("Dalmatian", "2024-Apr-08"),
             ("Epoxy", "2024-Oct-07"), ("Flamingo", "2025-Apr-07"))


def make_catalog(drivers: int) -> dict:
    names = [r for r, _ in _RELEASES]
    out = []
    per_project = -(-drivers // len(_PROJECTS))
    for i in range(drivers):
        project = _PROJECTS[i // per_project]
        vendor_no = i // 3  # three drivers a vendor, one CI account a vendor
        vendor = f"Vendor {vendor_no:06d}"
        slug = f"v{vendor_no:06d}"
        d = {"project_id": project}
        if i % 7 == 0:
            d["repo"] = f"x/{project.split('/')[1]}-{slug}"
        d.update({
            "vendor": vendor,
            "name": f"{vendor} driver {i % 3} for {project.split('/')[1]}",
            "description": "A synthetic driver for benchmarks: block, file or network "
                           "backend with snapshots, replication and multi-attach. " * 2,
            "maintainers": [{"name": f"Maintainer {i:06d}",
                             "email": f"m{i:06d}@{slug}.example.com",
                             "launchpad_id": f"m{i:06d}"},
                            {"name": f"Second Maintainer {i:06d}",
                             "email": f"s{i:06d}@{slug}.example.com", "irc": f"s{i:06d}"}],
            "wiki": f"https://wiki.example.org/{slug}/driver-{i}",
            "releases": names[i % 5:],
        })
        if i % 3 != 2:
            job = f"{slug}-job{i % 3}-tempest"
            d["ci"] = {"id": f"{slug}-ci",
                       "success_pattern": job + r"\s+\S+\s*: SUCCESS",
                       "failure_pattern": job + r"\s+\S+\s*: FAILURE"}
        out.append(d)
    return {"projects": [{"id": p, "name": p.split("/")[1].title()} for p in _PROJECTS],
            "releases": [dict({"id": r, "wiki": f"https://releases.example.org/{r.lower()}/",
                               "start": s}, **({"active": True} if r in names[-3:] else {}))
                         for r, s in _RELEASES],
            "drivers": out}


def write_catalog(path, drivers: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(make_catalog(drivers), f, indent=4)

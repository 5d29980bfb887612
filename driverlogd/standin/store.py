"""The stand-in's change store, and Gerrit 3's JSON for changes and events.

Every mutation returns the stream event Gerrit would emit for it, so the
store and the stream never disagree. Field names and types follow Gerrit's
`json` documentation as Gerrit 3 prints them: `number` is an int, times are
seconds since the epoch, approval values in events are strings.
"""
import hashlib
import threading
import time
from typing import Callable, Dict, List, Optional


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class UnknownChange(KeyError):
    pass


class Store:
    def __init__(self, url_base: str = "http://127.0.0.1:8080/",
                 clock: Optional[Callable[[], float]] = None):
        self.url_base = url_base.rstrip("/") + "/"
        self.clock = clock or time.time
        self.lock = threading.RLock()
        self.changes: Dict[int, dict] = {}
        self.accounts: Dict[str, dict] = {}
        self._next = 1

    def now(self) -> int:
        return int(self.clock())

    def account(self, username: str) -> dict:
        if username not in self.accounts:
            self.accounts[username] = {"name": username.replace("-", " ").title(),
                                       "email": f"{username}@example.org", "username": username}
        return dict(self.accounts[username])

    def _get(self, number: int) -> dict:
        try:
            return self.changes[int(number)]
        except (KeyError, ValueError):
            raise UnknownChange(f"no change {number}") from None

    # -- mutations, each returning the event it causes ----------------------
    def create_change(self, project: str, branch: str = "master", subject: Optional[str] = None,
                      owner: str = "alice", topic: Optional[str] = None) -> dict:
        with self.lock:
            number, now = self._next, self.now()
            self._next += 1
            change = {"project": project, "branch": branch, "number": number, "topic": topic,
                      "id": "I" + _sha(f"change {project} {number}"),
                      "subject": subject or f"Change {number} to {project}", "owner": owner,
                      "createdOn": now, "lastUpdated": now, "status": "NEW",
                      "patchSets": [], "messages": []}
            self.changes[number] = change
            return self._new_patchset(change, owner, now)

    def upload_patchset(self, number: int, uploader: Optional[str] = None) -> dict:
        with self.lock:
            change = self._get(number)
            return self._new_patchset(change, uploader or change["owner"], self.now())

    def _new_patchset(self, change: dict, uploader: str, now: int) -> dict:
        n = len(change["patchSets"]) + 1
        parent = change["patchSets"][-1]["revision"] if change["patchSets"] else _sha(change["branch"])
        change["patchSets"].append({"number": n, "revision": _sha(f"{change['number']}/{n}"),
                                    "parents": [parent], "uploader": uploader, "createdOn": now,
                                    "approvals": []})
        change["lastUpdated"] = now
        change["messages"].append({"timestamp": now, "username": uploader,
                                   "message": f"Uploaded patch set {n}."})
        ev = self._event("patchset-created", change, n, now)
        ev["uploader"] = self.account(uploader)
        return ev

    def add_comment(self, number: int, patchset: Optional[int], username: str, message: str,
                    approvals: Optional[Dict[str, int]] = None, raw: bool = False) -> dict:
        """A review message. Unless `raw`, Gerrit's `Patch Set N: Label+1` header is added."""
        with self.lock:
            change = self._get(number)
            ps = int(patchset or len(change["patchSets"]))
            if not 1 <= ps <= len(change["patchSets"]):
                raise UnknownChange(f"change {number} has no patch set {ps}")
            now = self.now()
            votes = dict(approvals or {})
            if not raw:
                header = f"Patch Set {ps}:" + "".join(f" {k}{v:+d}" for k, v in votes.items())
                message = header + (f"\n\n{message}" if message else "")
            for label, value in votes.items():
                self._patchset(change, ps)["approvals"].append(
                    {"type": label, "value": value, "by": username, "grantedOn": now})
            change["messages"].append({"timestamp": now, "username": username, "message": message})
            change["lastUpdated"] = now
            ev = self._event("comment-added", change, ps, now)
            ev["author"] = self.account(username)
            ev["approvals"] = [{"type": k, "description": k, "value": str(v), "oldValue": "0"}
                               for k, v in votes.items()]
            ev["comment"] = message
            return ev

    def merge(self, number: int, submitter: str = "admin") -> dict:
        with self.lock:
            change = self._get(number)
            now = self.now()
            change["status"] = "MERGED"
            change["lastUpdated"] = now
            name = self.account(submitter)["name"]
            change["messages"].append({"timestamp": now, "username": submitter,
                                       "message": f"Change has been successfully merged by {name}"})
            ps = len(change["patchSets"])
            ev = self._event("change-merged", change, ps, now)
            ev["submitter"] = self.account(submitter)
            ev["newRev"] = self._patchset(change, ps)["revision"]
            return ev

    def abandon(self, number: int, by: str = "admin") -> dict:
        with self.lock:
            change = self._get(number)
            now = self.now()
            change["status"] = "ABANDONED"
            change["lastUpdated"] = now
            change["messages"].append({"timestamp": now, "username": by, "message": "Abandoned"})
            ev = self._event("change-abandoned", change, len(change["patchSets"]), now)
            ev["abandoner"] = self.account(by)
            ev["reason"] = ""
            return ev

    # -- JSON ----------------------------------------------------------------
    @staticmethod
    def _patchset(change: dict, n: int) -> dict:
        return change["patchSets"][n - 1]

    def _patchset_json(self, change: dict, ps: dict, approvals: bool) -> dict:
        number = change["number"]
        out = {"number": ps["number"], "revision": ps["revision"], "parents": list(ps["parents"]),
               "ref": f"refs/changes/{number % 100:02d}/{number}/{ps['number']}",
               "uploader": self.account(ps["uploader"]), "createdOn": ps["createdOn"],
               "author": self.account(ps["uploader"]), "kind": "REWORK",
               "sizeInsertions": 10, "sizeDeletions": -2}
        if approvals and ps["approvals"]:
            out["approvals"] = [{"type": a["type"], "description": a["type"], "value": str(a["value"]),
                                 "grantedOn": a["grantedOn"], "by": self.account(a["by"])}
                                for a in ps["approvals"]]
        return out

    def _change_base(self, change: dict) -> dict:
        out = {"project": change["project"], "branch": change["branch"]}
        if change["topic"]:
            out["topic"] = change["topic"]
        out.update({"id": change["id"], "number": change["number"], "subject": change["subject"],
                    "owner": self.account(change["owner"]),
                    "url": f"{self.url_base}c/{change['project']}/+/{change['number']}",
                    "commitMessage": f"{change['subject']}\n\nChange-Id: {change['id']}\n",
                    "createdOn": change["createdOn"]})
        return out

    def _event(self, kind: str, change: dict, ps: int, now: int) -> dict:
        body = self._change_base(change)
        body["status"] = change["status"]
        return {"type": kind, "change": body,
                "patchSet": self._patchset_json(change, self._patchset(change, ps), False),
                "project": change["project"], "refName": f"refs/heads/{change['branch']}",
                "changeKey": {"id": change["id"]}, "eventCreatedOn": now}

    def change_json(self, change: dict, *, comments=False, patch_sets=False,
                    current_patch_set=False, all_approvals=False) -> dict:
        """One `gerrit query --format=JSON` row."""
        out = self._change_base(change)
        out.update({"hashtags": [], "lastUpdated": change["lastUpdated"],
                    "open": change["status"] == "NEW", "status": change["status"]})
        if comments:
            out["comments"] = [{"timestamp": m["timestamp"], "reviewer": self.account(m["username"]),
                                "message": m["message"]} for m in change["messages"]]
        if current_patch_set:
            out["currentPatchSet"] = self._patchset_json(change, change["patchSets"][-1], True)
        if patch_sets or all_approvals:
            out["patchSets"] = [self._patchset_json(change, p, all_approvals)
                                for p in change["patchSets"]]
        return out

    def snapshot(self) -> List[dict]:
        with self.lock:
            return list(self.changes.values())

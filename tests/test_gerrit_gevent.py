"""The stream client as the daemon runs it: in a greenlet of a gevent-patched process,
patched the way the daemon's entry point patches it."""
import json
import subprocess
import sys
import textwrap
import time

# Records, as each module is first imported, whether gevent had patched by then.
IMPORT_ORDER = textwrap.dedent("""
    import json, runpy, sys
    WATCHED = ("paramiko", "sqlite3", "driverlogd.gerrit", "driverlogd.store",
               "driverlogd.service.preflight", "driverlogd.service.app")
    seen = {}

    class Watch:
        def find_spec(self, name, path=None, target=None):
            if name in WATCHED and name not in seen:
                monkey = sys.modules.get("gevent.monkey")
                seen[name] = bool(monkey and monkey.is_module_patched("socket")
                                  and monkey.is_module_patched("threading"))

    sys.meta_path.insert(0, Watch())
    sys.argv = ["driverlogd", "--config", sys.argv[1]]
    try:
        runpy.run_module("driverlogd", run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    print(json.dumps(seen))
""")


def test_the_entry_point_patches_before_paramiko_and_the_store(tmp_path):
    # A config naming a missing key: the daemon gets as far as its preflight
    # (paramiko) and stops there with exit status 2.
    config = tmp_path / "driverlogd.yaml"
    config.write_text("gerrit: {host: 127.0.0.1, username: x, key_file: missing, "
                      "known_hosts: missing}\ncatalog: missing.json\nstate_dir: state\n")
    out = subprocess.run([sys.executable, "-c", IMPORT_ORDER, str(config)],
                         capture_output=True, text=True, timeout=120)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen.get("paramiko") is True, (seen, out.stderr)
    assert all(seen.values()), seen


CHILD = textwrap.dedent("""
    import driverlogd.__main__        # the daemon's entry point: patches gevent first
    import json, sys
    import gevent
    from driverlogd.gerrit.config import GerritConfig
    from driverlogd.gerrit.stream import StreamClient
    from driverlogd.metrics import Metrics

    port, key, known = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    seen, ticks = [], [0]

    class Sink:
        def handle(self, event):
            if event.type == "comment-added" and event.comment not in seen:
                seen.append(event.comment)
                print(json.dumps({"event": event.comment}), flush=True)
        def position(self):
            return 0 if seen else None

    def ticker():                # proves the hub keeps running while the client reads
        while True:
            ticks[0] += 1
            gevent.sleep(0.01)

    config = GerritConfig(host="127.0.0.1", port=port, username="driverlog", key_file=key,
                          known_hosts=known, keepalive_interval=1, probe_timeout=2,
                          backoff_initial=0.05, backoff_max=0.5)
    client = StreamClient(config, Sink(), Metrics(),
                          on_state=lambda s, r: print(json.dumps({"state": s}), flush=True))
    gevent.spawn(ticker)
    g = gevent.spawn(client.run)
    with gevent.Timeout(60, False):
        while len(seen) < 3:
            gevent.sleep(0.02)
    client.stop()
    g.join(10)
    print(json.dumps({"seen": seen, "ticks": ticks[0], "stopped": g.dead}), flush=True)
""")


def test_stream_client_under_gevent(standin):
    s = standin.server
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(s.port), str(standin.client_key),
                             str(standin.known_hosts)], stdout=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 30
        while s.stream_count() == 0 and time.monotonic() < end:
            time.sleep(0.02)
        n = s.create_change("openstack/nova")
        s.add_comment(n, 1, "acme-ci", "live")
        events = (line for line in proc.stdout if "event" in json.loads(line))
        next(events)                 # the child gives up by itself after 60 s
        s.drop_streams()             # the second comes back through reconnect + catch-up
        s.add_comment(n, 1, "acme-ci", "recovered")
        next(events)
        s.go_silent()                # the probe's deadline fires in a greenlet
        s.add_comment(n, 1, "acme-ci", "after silence")
        out, _ = proc.communicate(timeout=90)
    finally:
        proc.kill()
        proc.wait()
    result = json.loads(out.strip().splitlines()[-1])
    assert [c.split("\n\n")[1] for c in result["seen"]] == ["live", "recovered", "after silence"]
    assert result["stopped"] and result["ticks"] > 0

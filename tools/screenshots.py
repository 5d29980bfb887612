"""Screenshots of the dashboard: desktop (1280 px) and phone (375 px) PNGs.

    python tools/screenshots.py BASE_URL OUT_DIR [--chromium PATH]

BASE_URL is a running driverlogd (e.g. the one `make demo` starts). Writes
OUT_DIR/dashboard-desktop.png, dashboard-phone.png, and a driver's drill-down
on each: dashboard-detail.png (desktop) and dashboard-phone-detail.png. Exit 0 on success,
2 on unusable arguments, 1 when the page could not be captured.
"""
import argparse
import pathlib
import sys

ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-gpu"]


def capture(base, out, chromium):
    from playwright.sync_api import sync_playwright
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            for name, width, height in (("desktop", 1280, 900), ("phone", 375, 812)):
                page = browser.new_page(viewport={"width": width, "height": height},
                                        device_scale_factor=1 if width > 400 else 2)
                page.set_default_timeout(20000)
                page.goto(base.rstrip("/") + "/")
                page.wait_for_selector("#rows tr")
                page.screenshot(path=str(out / ("dashboard-%s.png" % name)))
                # The first driver with a CI verdict makes the best drill-down.
                row = page.locator("#rows tr:has(.st-passing), #rows tr:has(.st-failing)").first
                target = row if row.count() else page.locator("#rows tr").first
                target.locator("button.opener").click()
                page.wait_for_selector("tr.detail")
                page.wait_for_timeout(300)   # the vote history arrives separately
                page.locator("tr.open").evaluate("e => e.scrollIntoView({block: 'start'})")
                page.screenshot(path=str(out / ("dashboard-detail.png" if name == "desktop"
                                                else "dashboard-phone-detail.png")))
                page.close()
        finally:
            browser.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base_url")
    ap.add_argument("out_dir", type=pathlib.Path)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args(argv)
    if not args.base_url.startswith(("http://", "https://")):
        print("screenshots: BASE_URL must be http(s)://...", file=sys.stderr)
        return 2
    try:
        capture(args.base_url, args.out_dir, args.chromium)
    except Exception as e:   # one clear line for make, not a traceback
        print("screenshots: %s" % (str(e).splitlines() or [repr(e)])[0], file=sys.stderr)
        return 1
    for p in sorted(args.out_dir.glob("dashboard-*.png")):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How live the explorer feels: first plot at 1e4 citizens, a full year at 1e5.

    .venv/bin/python benchmarks/bench_explore.py [--pilot rongcheng] [--repeat 3] [--no-browser]

Starts the explorer on a free loopback port (2 workers, as `scslab explore`), waits until
its workers are warm, then for each measurement asks for a run over HTTP, as the page does,
and polls every 20 ms:

- first day at 1e4: from the request that starts the run to the first day's numbers being
  served (the page draws them on its next poll, every 200 ms);
- first plot in the browser at 1e4 (with Debian's chromium, unless --no-browser): from the
  click on Run to the first line drawn in the page;
- a full year (365 days) at 1e5: until the run is done (its run folder written), and until
  its paired run with code off is done too (both run at once, one core each).

The claims table is switched off for these runs (it runs after them, at 3,000 citizens).
Prints the numbers (median and range over --repeat); asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx


def run_once(c: httpx.Client, rid_rulebook: str, population: int, steps: int, client: str) -> dict:
    t0 = time.perf_counter()
    r = c.post("/api/runs", json={"rulebook": rid_rulebook, "population": population, "steps": steps, "seed": 1,
                                  "client": client, "claims": False})
    r.raise_for_status()
    rid = r.json()["id"]
    out = {"requested": time.perf_counter() - t0}
    a = b = 0
    while True:
        v = c.get(f"/api/runs/{rid}", params={"main": a, "off": b}).json()
        now = time.perf_counter() - t0
        a += len(v["main"]["days"])
        b += len(v["off"]["days"])
        if "first_day" not in out and a > 0:
            out["first_day"] = now
        if "main_done" not in out and v["main"]["status"] == "done":
            out["main_done"] = now
            out["run_seconds"] = v["main"]["seconds"]
        if v["finished"]:
            out["both_done"] = now
            return out
        time.sleep(0.02)


def browser_first_plot(url: str, repeat: int) -> list[float] | str:
    import os

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "playwright not installed"
    if not os.path.exists("/usr/bin/chromium"):
        return "no /usr/bin/chromium"
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    out = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = b.new_page()
        page.goto(url)
        page.wait_for_selector("#run-status:has-text('Ready')", timeout=120_000)
        page.uncheck("#claims")
        for _ in range(repeat):
            page.select_option("#population", "10000")
            old = page.get_attribute("#chart-listed", "data-run") or ""
            t0 = time.perf_counter()
            page.click("#run")
            page.wait_for_selector(f"#chart-listed[data-run]:not([data-run='{old}']) path.series-0", state="attached",
                                   timeout=60_000)
            out.append(time.perf_counter() - t0)
            page.wait_for_selector("#run-status:has-text('Finished')", timeout=120_000)
        b.close()
    return out


def show(name: str, xs: list[float]) -> None:
    print(f"{name:<46} median {statistics.median(xs):6.2f} s   range {min(xs):.2f}..{max(xs):.2f} s   (n={len(xs)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pilot", default="rongcheng")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    from scslab.explore import running

    t0 = time.perf_counter()
    with running(args.pilot, port=0) as srv:
        srv.wait_ready(300)
        print(f"server and 2 workers warm in {time.perf_counter() - t0:.1f} s ({srv.url})")
        c = httpx.Client(base_url=srv.url, timeout=120)
        rb = c.post("/api/rulebooks", json={"pilot": args.pilot}).json()["id"]
        small = [run_once(c, rb, 10_000, 365, "bench") for _ in range(args.repeat)]
        show("1e4: first day served after the request", [x["first_day"] for x in small])
        show("1e4: a year, run done (folder written)", [x["main_done"] for x in small])
        if not args.no_browser:
            fp = browser_first_plot(srv.url, args.repeat)
            if isinstance(fp, str):
                print(f"1e4: first plot in the browser: not measured ({fp})")
            else:
                show("1e4: first plot drawn in the browser after Run", fp)
        big = [run_once(c, rb, 100_000, 365, "bench") for _ in range(args.repeat)]
        show("1e5: first day served after the request", [x["first_day"] for x in big])
        show("1e5: a full year, run done (folder written)", [x["main_done"] for x in big])
        show("1e5: ... its simulate() alone", [x["run_seconds"] for x in big])
        show("1e5: ... and the paired code-off run done", [x["both_done"] for x in big])


if __name__ == "__main__":
    main()

"""The explorer's server: a Starlette app over scslab's Python API, and a static page.

Every number comes from the API the command line uses: `audit_text` for the findings,
`simulate` (in worker processes, `workers.py`) for the runs, `compare` (its `plan` run on
the same workers) for the claims table, `explain` for a citizen's notice and the run
report (`scslab.report.run_report`) and the comparison report (`scslab.report.html`) for
the exports. The page (`static/`) holds no logic beyond drawing and forms.

Safety: the server listens on 127.0.0.1 unless told otherwise; requests whose Host is not
the address it listens on are refused (DNS rebinding), and so are cross-site POSTs (an
Origin that is not the page's). Rulebooks are read by the same safe, size-limited YAML
reader as files; the edits the page may make are a fixed list of fields
(`edits.RULEBOOK_FIELDS`, `edits.ENGINE_FIELDS`). A failing rulebook is shown with its
located problems; nothing a request sends can stop the server.
"""

from __future__ import annotations

import functools
import html
import json
import math
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..rulebook import Rulebook, RulebookError, dump_rulebook, parse_rulebook
from ..rulebook.errors import Problem
from . import edits as E
from .workers import Pool, Task

STATIC = Path(__file__).with_name("static")
MAX_BODY = 2_000_000  # bytes of one request (a rulebook is at most 1 MB: yaml_nodes.MAX_BYTES)
POPULATIONS = (10_000, 100_000)  # the range a run may have
MAX_STEPS = 3650
CLAIMS_POPULATION = 3_000  # the claims table runs at most this many citizens ...
CLAIMS_SEEDS = 3  # ... over this many seeds (a verdict needs at least two)
MAX_RUNS_KEPT = 24  # finished runs kept (their folders); older ones are removed
MAX_RULEBOOKS = 64
MAX_QUEUED_RUNS = 6  # live runs waiting or running, all tabs together
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; connect-src 'self'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _clean(x):
    """NaN and infinities to None, numpy scalars to Python: strict JSON."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, str | bytes):
        try:
            x = x.item()
        except (ValueError, TypeError):
            return str(x)
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def reply(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(_clean(data), status_code=status)


def problem(message: str, status: int = 400, **extra) -> JSONResponse:
    return reply({"error": message, **extra}, status)


@dataclass
class LoadedRulebook:
    id: str
    rulebook: Rulebook
    origin: str  # "pilot" or "file"
    filename: str
    text: str  # the YAML it was read from
    pilot: str | None = None


@dataclass
class Part:
    """One simulation of a live run (the run itself, or its paired run with code off)."""

    status: str = "queued"  # queued | running | done | stopped | error
    done: int = 0
    of: int = 0
    days: list = field(default_factory=list)
    hist: dict | None = None
    net: dict | None = None
    people: list | None = None
    folder: str | None = None
    error: dict | None = None
    streaming: bool = True
    seconds: float | None = None
    started: float | None = None
    first_day_at: float | None = None  # perf_counter when the first day arrived

    def view(self, since: int) -> dict:
        return {"status": self.status, "done": self.done, "of": self.of, "days": self.days[since:],
                "n": len(self.days), "hist": self.hist, "net": self.net, "people": self.people,
                "error": self.error, "streaming": self.streaming, "seconds": self.seconds}


@dataclass
class LiveRun:
    id: str
    owner: str
    rulebook: Rulebook
    rulebook_id: str
    column: str
    settings: dict
    params: dict
    created: float = field(default_factory=time.time)
    main: Part = field(default_factory=Part)
    off: Part = field(default_factory=Part)
    claims: dict = field(default_factory=lambda: {"status": "queued", "done": 0, "of": 0})
    outcomes: list = field(default_factory=list)
    cmp: Any = None
    config: Any = None
    mechanisms: Any = None
    figures: tuple | None = None  # ((folder, with paired run), the run report's figures)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def finished(self) -> bool:
        return all(p.status in ("done", "stopped", "error") for p in (self.main, self.off)) and \
            self.claims["status"] in ("done", "stopped", "error", "off")


class Explorer:
    """The server's state: loaded rulebooks, live runs, the worker pool."""

    def __init__(self, workers: int = 2, workdir: str | Path | None = None, initial: str | None = None):
        self.own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="scslab-explore-"))
        (self.workdir / "runs").mkdir(parents=True, exist_ok=True)
        self.pool = Pool(workers, str(self.workdir))
        self.rulebooks: OrderedDict[str, LoadedRulebook] = OrderedDict()
        self.runs: OrderedDict[str, LiveRun] = OrderedDict()
        self.lock = threading.RLock()
        self.render_lock = threading.Lock()  # matplotlib's pyplot is not thread-safe
        self.initial = None
        if initial:
            self.initial = self.load_initial(initial)
        # What the first run and the first report need, imported now rather than on the first click.
        threading.Thread(target=_warm_up, name="scslab-explore-warm-up", daemon=True).start()

    # -- rulebooks --
    def load_initial(self, target: str) -> str:
        from ..pilots import is_pilot

        if is_pilot(target) and not Path(target).exists():
            return self.load_pilot(target).id
        p = Path(target)
        if not p.exists():
            from ..pilots import resolve_rulebook

            resolve_rulebook(target)  # raises, naming the pilot the user probably meant
        from ..rulebook.loader import read_limited

        try:
            raw = read_limited(p)
        except OSError as e:
            raise RulebookError([Problem(str(p), 0, 0, (), f"cannot read: {e.strerror or e}")]) from None
        return self.load_text(raw.decode("utf-8", errors="replace"), p.name).id

    def _keep(self, lr: LoadedRulebook) -> LoadedRulebook:
        with self.lock:
            self.rulebooks[lr.id] = lr
            self.rulebooks.move_to_end(lr.id)
            while len(self.rulebooks) > MAX_RULEBOOKS:
                self.rulebooks.popitem(last=False)
        return lr

    def load_pilot(self, name: str) -> LoadedRulebook:
        from ..pilots import is_pilot, pilot_filename, pilot_text

        if not is_pilot(name):
            raise KeyError(name)
        text = pilot_text(name)
        rb = parse_rulebook(text, pilot_filename(name))
        return self._keep(LoadedRulebook(f"pilot-{name}", rb, "pilot", f"{name}.yaml", text, pilot=name))

    def load_text(self, text: str, filename: str) -> LoadedRulebook:
        filename = _safe_name(filename)
        rb = parse_rulebook(text, filename)  # RulebookError with every problem located
        from ..rulebook import compile_rulebook

        try:
            compile_rulebook(rb)  # what the engine will need: refuse now rather than in a run
        except RulebookError:
            raise
        except Exception as e:
            raise RulebookError([Problem(filename, 0, 0, (), f"cannot be compiled for a run: {e}"[:500])]) from None
        return self._keep(LoadedRulebook(secrets.token_hex(8), rb, "file", filename, text))

    def get_rulebook(self, rid) -> LoadedRulebook:
        with self.lock:
            lr = self.rulebooks.get(str(rid))
        if lr is None:
            if isinstance(rid, str) and rid.startswith("pilot-"):
                return self.load_pilot(rid[len("pilot-"):])
            raise KeyError("unknown rulebook (reload the page)")
        return lr

    def edited(self, lr: LoadedRulebook, edits: dict | None) -> tuple[Rulebook, E.EngineParams, bool]:
        edits = edits if isinstance(edits, dict) else {}
        for k in edits:
            if k not in ("rulebook", "engine"):
                raise E.EditError(f"{k}: expected 'rulebook' and 'engine'")
        rb = E.apply_rulebook_edits(lr.rulebook, edits.get("rulebook"), lr.filename)
        params = E.engine_params(edits.get("engine"))
        return rb, params, rb is not lr.rulebook

    def audit(self, lr: LoadedRulebook, rb: Rulebook, changed: bool) -> dict:
        from ..audit.runner import audit_text

        text = lr.text if not changed else dump_rulebook(rb)
        name = lr.filename if not changed else f"{rb.metadata.name}-edited.yaml"
        rep = audit_text(text, name)
        v = rep.verdict
        by = {s: sum(1 for f in rep.findings if f.severity == s) for s in ("critical", "high", "medium", "low")}
        return {
            "file": name, "lines_refer_to": "the exported YAML" if changed else "the rulebook as loaded",
            "conclusion": v.conclusion, "counts": by, "rules": len(rep.rules),
            "conditions": [{"id": c.id, "text": c.text, "met": c.met, "because": c.because} for c in v.conditions],
            "findings": [{"code": f.code, "severity": f.severity, "name": f.name, "principle": f.principle,
                          "message": f.message, "fix": f.fix, "field": f.field_path, "line": f.line,
                          "column": f.column} for f in sorted(rep.findings, key=lambda f: (-f.rank, f.line))],
        }

    def describe(self, lr: LoadedRulebook) -> dict:
        md = lr.rulebook.metadata
        return {"id": lr.id, "name": md.name, "title": md.title, "origin": lr.origin, "filename": lr.filename,
                "description": md.description, "controls": E.controls(lr.rulebook),
                "audit": self.audit(lr, lr.rulebook, False)}

    # -- runs --
    def start_run(self, lr: LoadedRulebook, edits: dict | None, settings: dict, owner: str) -> LiveRun:
        rb, params, changed = self.edited(lr, edits)
        population = int(settings["population"])
        steps = int(settings["steps"])
        seed = int(settings["seed"])
        claims = bool(settings.get("claims", True))
        levers = bool(settings.get("levers", False))
        with self.lock:
            active = [r for r in self.runs.values() if not r.finished]
            mine = [r for r in active if r.owner == owner]
        for r in mine:  # a tab runs one thing at a time: its new run replaces its old one
            self.stop(r)
        if len(active) - len(mine) >= MAX_QUEUED_RUNS:
            raise OverflowError(f"{len(active) - len(mine)} runs are already going; stop one or wait")
        rid = secrets.token_hex(8)
        pdict = params.model_dump(mode="json")
        pilot_as_is = lr.pilot is not None and not changed
        column = lr.pilot if pilot_as_is else f"{rb.metadata.name}-{rid[:6]}.yaml"
        text = dump_rulebook(rb)
        if not pilot_as_is:
            (self.workdir / column).write_text(text, encoding="utf-8")
        run = LiveRun(rid, owner, rb, lr.id, column, {"population": population, "steps": steps, "seed": seed,
                                                      "claims": claims, "levers": levers}, pdict)
        run.main.of = run.off.of = steps
        with self.lock:
            self.runs[rid] = run
            self._prune()
        folder = self.workdir / "runs" / rid
        base = {"rulebook": text, "name": column, "params": pdict, "population": population, "steps": steps,
                "seed": seed}
        self.pool.submit(Task("run", {**base, "ledger": True, "save_ties": True, "out": str(folder / "run")},
                              lambda k, m: self._on_part(run, run.main, k, m), group=rid))
        self.pool.submit(Task("run", {**base, "off": ["code"], "network": False, "out": str(folder / "code-off")},
                              lambda k, m: self._on_part(run, run.off, k, m), group=rid))
        if claims:
            self._submit_claims(run, rb, params, levers)
        else:
            run.claims["status"] = "off"
        return run

    def _submit_claims(self, run: LiveRun, rb: Rulebook, params, levers: bool) -> None:
        from ..experiments.compare import CompareConfig, plan
        from ..metrics.mechanisms import inventory

        s = run.settings
        col = run.column
        config = CompareConfig(pilots=(col,), population=min(s["population"], CLAIMS_POPULATION), steps=s["steps"],
                               seeds=CLAIMS_SEEDS, first_seed=s["seed"], references=False,
                               levers=(col,) if levers else (), workers=1, params=run.params)
        inv = {col: inventory(rb, params)}
        specs = plan(config, inv)
        run.config, run.mechanisms = config, inv
        run.outcomes = [None] * len(specs)
        run.claims.update(status="queued", done=0, of=len(specs), population=config.population,
                          seeds=config.seeds, steps=config.steps, levers=levers)
        for i, spec in enumerate(specs):
            self.pool.submit(Task("spec", spec, lambda k, m, i=i: self._on_spec(run, i, k, m), group=run.id))

    def _on_part(self, run: LiveRun, part: Part, kind: str, msg) -> None:
        with run.lock:
            if kind == "started":
                part.status = "running"
                part.started = time.perf_counter()
            elif kind == "steps":
                if part.first_day_at is None:
                    part.first_day_at = time.perf_counter()
                part.done = msg["done"]
                part.streaming = msg.get("streaming", True)
                part.days.extend(msg.get("days", ()))
                part.hist = msg.get("hist", part.hist)
                part.net = msg.get("net", part.net)
            elif kind == "done":
                part.status = "done"
                part.done = part.of
                if len(msg["days"]) > len(part.days):
                    part.days = msg["days"]
                part.hist = msg.get("hist", part.hist)
                part.net = msg.get("net", part.net)
                part.people = msg.get("people")
                part.folder = msg.get("folder")
                part.seconds = msg.get("seconds")
                part.streaming = msg.get("streaming", part.streaming)
            elif kind == "stopped":
                part.status = "stopped"
            elif kind == "error":
                part.status = "error"
                part.error = {k: v for k, v in (msg or {}).items() if k != "trace"}

    def _on_spec(self, run: LiveRun, i: int, kind: str, msg) -> None:
        with run.lock:
            c = run.claims
            if c["status"] in ("stopped", "error"):
                return
            if kind == "started":
                c["status"] = "running"
            elif kind == "done":
                run.outcomes[i] = msg
                c["done"] += 1
                if c["done"] == c["of"]:
                    c["status"] = "summarising"
                    threading.Thread(target=self._summarise, args=(run,), daemon=True).start()
            elif kind == "stopped":
                c["status"] = "stopped"
            elif kind == "error":
                c["status"] = "error"
                c["error"] = {k: v for k, v in (msg or {}).items() if k != "trace"}

    def _summarise(self, run: LiveRun) -> None:
        from ..experiments.compare import compare

        try:
            cmp = compare(run.config, outcomes=run.outcomes, mechanisms=run.mechanisms)
            js = cmp.to_json()
            col = run.column
            table = [{"id": r["id"], "claim": r["claim"], "metric": r["metric"], "test": r["test"],
                      **r["cells"][col]} for r in js["claims"]]
            with run.lock:
                run.cmp = cmp
                run.claims.update(status="done", table=table,
                                  mechanisms=[{"id": k, **v} for k, v in js["mechanisms"][col].items()])
        except Exception as e:  # reported on the page
            with run.lock:
                run.claims.update(status="error", error={"message": f"{type(e).__name__}: {e}"[:500]})

    def stop(self, run: LiveRun) -> None:
        self.pool.stop_group(run.id)
        with run.lock:
            for p in (run.main, run.off):
                if p.status == "queued":
                    p.status = "stopped"
            if run.claims["status"] in ("queued", "running"):
                run.claims["status"] = "stopped"

    def _prune(self) -> None:
        done = [r for r in self.runs.values() if r.finished]
        while len(self.runs) > MAX_RUNS_KEPT and done:
            old = done.pop(0)
            self.runs.pop(old.id, None)
            shutil.rmtree(self.workdir / "runs" / old.id, ignore_errors=True)
            (self.workdir / old.column).unlink(missing_ok=True)

    def get_run(self, rid: str) -> LiveRun:
        with self.lock:
            r = self.runs.get(str(rid))
        if r is None:
            raise KeyError("unknown run")
        return r

    def run_view(self, run: LiveRun, since_main: int = 0, since_off: int = 0) -> dict:
        with run.lock:
            claims = {k: v for k, v in run.claims.items()}
            return {"id": run.id, "settings": run.settings, "column": run.column,
                    "rulebook": run.rulebook.metadata.name, "finished": run.finished,
                    "main": run.main.view(since_main), "off": run.off.view(since_off), "claims": claims}

    # -- reports --
    def _loaded(self, run: LiveRun):
        from ..report.run_report import load_run

        if run.main.status != "done" or not run.main.folder:
            raise LookupError("the run has not finished")
        main = load_run(run.main.folder)
        off = load_run(run.off.folder) if run.off.status == "done" and run.off.folder else None
        return main, off

    def _drawn(self, run: LiveRun):
        """The run and its paired run read back, and the run report's figures (drawn once)."""
        from ..report.run_report import figures

        main, off = self._loaded(run)
        key = (run.main.folder, off is not None)
        with self.render_lock:
            if run.figures is None or run.figures[0] != key:
                run.figures = (key, figures(main, off))
        return main, off, run.figures[1]

    def run_report(self, run: LiveRun) -> str:
        from ..report.run_report import render_run_report

        main, off, figs = self._drawn(run)
        with self.render_lock:
            return render_run_report(main, off, title=f"Run of {run.rulebook.metadata.title}", figs=figs)

    def export_report(self, run: LiveRun) -> str:
        from ..audit.html_section import report_section
        from ..report.html import render_report
        from ..report.run_report import render_run_report, section

        main, off, figs = self._drawn(run)
        audit = report_section(run.rulebook)
        title = f"scslab explorer: {run.rulebook.metadata.title}"
        with self.render_lock:
            if run.cmp is not None:
                return render_report(run.cmp, extra_sections=[("The explorer's run", section(main, off, figs=figs)),
                                                              audit], title=title)
            page = render_run_report(main, off, title=title, figs=figs)
        note = ('<section class="extra"><h2>The claims</h2><p class="small">The claims table was not computed '
                'for this run (switched off, stopped or still running when the report was exported).</p></section>')
        extra = f'<section class="extra"><h2>{html.escape(audit[0])}</h2>{audit[1]}</section>'
        return page.replace("</body>", note + extra + "</body>")

    def close(self) -> None:
        self.pool.close()
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


@functools.lru_cache(maxsize=1)
def _pilot_titles() -> list[dict]:
    from ..pilots import all_pilots, load_pilot

    return [{"name": p, "title": load_pilot(p).metadata.title} for p in all_pilots()]


def _warm_up() -> None:
    import importlib

    for m in ("scslab.experiments.compare", "scslab.metrics.mechanisms", "scslab.audit.runner",
              "scslab.audit.html_section", "scslab.report.run_report", "scslab.report.html", "scslab.explain"):
        importlib.import_module(m)


def _safe_name(name) -> str:
    s = "".join(ch for ch in str(name or "uploaded.yaml") if ch.isalnum() or ch in "._-")[:80]
    return s or "uploaded.yaml"


# --- HTTP --------------------------------------------------------------------------------------

async def _json(request: Request) -> dict:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ValueError(f"request larger than {MAX_BODY:,} bytes")
    try:
        data = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError("the request is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _int(v, lo: int, hi: int, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or int(v) != v:
        raise ValueError(f"{what}: expected a whole number")
    if not lo <= int(v) <= hi:
        raise ValueError(f"{what}: must be in {lo:,}..{hi:,}")
    return int(v)


def create_app(explorer: Explorer, allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> Starlette:
    X = explorer

    def guarded(fn):
        async def handler(request: Request):
            host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]")
            if host not in allowed_hosts:
                return problem("this server answers only on its own address", 403)
            if request.method == "POST":
                origin = request.headers.get("origin")
                if origin and origin != f"{request.url.scheme}://{request.headers.get('host')}":
                    return problem("cross-site request refused", 403)
            try:
                resp = await fn(request)
            except RulebookError as e:
                resp = reply({"error": "the rulebook has problems", "problems": [_problem(p) for p in e.problems][:200]},
                             422)
            except E.EditError as e:
                resp = problem(str(e), 422)
            except (KeyError, LookupError) as e:
                resp = problem(str(e.args[0]) if e.args else "not found", 404)
            except OverflowError as e:
                resp = problem(str(e), 429)
            except ValueError as e:
                resp = problem(str(e), 400)
            except Exception as e:  # a bug or a hostile input: a message, never a dead server
                import traceback

                traceback.print_exc()
                resp = problem(f"internal error: {type(e).__name__}: {e}"[:500], 500)
            for k, v in SECURITY_HEADERS.items():
                resp.headers.setdefault(k, v)
            return resp
        return handler

    from starlette.concurrency import run_in_threadpool

    async def index(request):
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def state(request):
        return reply({"pilots": _pilot_titles(), "initial": X.initial, "workers_ready": X.pool.ready,
                      "workers": len(X.pool.slots), "broken": X.pool.broken, "populations": POPULATIONS, "max_steps": MAX_STEPS,
                      "claims_population": CLAIMS_POPULATION, "claims_seeds": CLAIMS_SEEDS})

    async def load_rulebook(request):
        d = await _json(request)
        if "pilot" in d:
            lr = await run_in_threadpool(X.load_pilot, str(d["pilot"]))
        elif "id" in d:
            lr = X.get_rulebook(d["id"])
        else:
            text = d.get("text")
            if not isinstance(text, str):
                raise ValueError("send a pilot name or the rulebook's text")
            lr = await run_in_threadpool(X.load_text, text, d.get("filename") or "uploaded.yaml")
        return reply(await run_in_threadpool(X.describe, lr))

    async def audit(request):
        d = await _json(request)
        lr = X.get_rulebook(d.get("rulebook"))

        def work():
            rb, _params, changed = X.edited(lr, d.get("edits"))
            return {"audit": X.audit(lr, rb, changed), "changed": changed}
        return reply(await run_in_threadpool(work))

    async def export_rulebook(request):
        d = await _json(request)
        lr = X.get_rulebook(d.get("rulebook"))
        rb, _params, changed = await run_in_threadpool(X.edited, lr, d.get("edits"))
        text = lr.text if not changed else (
            f"# {rb.metadata.name}: exported by `scslab explore` from {lr.filename}, with the changes made there.\n"
            + dump_rulebook(rb))
        name = f"{rb.metadata.name}{'-edited' if changed else ''}.yaml"
        return Response(text, media_type="application/x-yaml",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def start_run(request):
        d = await _json(request)
        lr = X.get_rulebook(d.get("rulebook"))
        settings = {"population": _int(d.get("population", 10_000), POPULATIONS[0], POPULATIONS[1], "population"),
                    "steps": _int(d.get("steps", 365), 1, MAX_STEPS, "days"),
                    "seed": _int(d.get("seed", 1), 0, 2**31 - 1, "seed"),
                    "claims": bool(d.get("claims", True)), "levers": bool(d.get("levers", False))}
        owner = str(d.get("client", ""))[:64] or "anonymous"
        run = await run_in_threadpool(X.start_run, lr, d.get("edits"), settings, owner)
        return reply({"id": run.id})

    async def get_run(request):
        run = X.get_run(request.path_params["rid"])
        q = request.query_params
        try:
            a, b = int(q.get("main", 0)), int(q.get("off", 0))
        except ValueError:
            raise ValueError("main and off are day counts") from None
        return reply(X.run_view(run, max(0, a), max(0, b)))

    async def stop_run(request):
        run = X.get_run(request.path_params["rid"])
        X.stop(run)
        return reply({"stopped": run.id})

    async def citizen(request):
        from ..explain import explain

        run = X.get_run(request.path_params["rid"])
        if run.main.status != "done" or not run.main.folder:
            raise LookupError("the run has not finished: notices are read from its run folder")
        cid = _int(int(request.path_params["cid"]), 0, run.settings["population"] - 1, "citizen")
        n = await run_in_threadpool(explain, run.main.folder, cid)

        def rows(df, limit=200):
            return json.loads(df.head(limit).to_json(orient="records")) if len(df) else []
        return reply({"citizen": n.citizen, "run": run.id, "rulebook": n.rulebook, "score": n.score,
                      "scale": list(n.scale), "grade": n.grade, "blacklisted": n.blacklisted,
                      "wrongfully_listed": n.wrongfully_listed, "reasons": n.reasons, "text": n.text(),
                      "grounds": [{"step": g.step, "list": g.list, "kind": g.kind, "basis": g.basis, "rule": g.rule,
                                   "summary": g.summary, "text": g.text, "wrongful": g.wrongful} for g in n.grounds],
                      "facts": n.facts, "has_ledger": n.has_ledger, "records": rows(n.records),
                      "records_total": len(n.records), "listings": rows(n.listings), "sectors": rows(n.sectors),
                      "appeals": rows(n.appeals)})

    async def run_report(request):
        run = X.get_run(request.path_params["rid"])
        page = await run_in_threadpool(X.run_report, run)
        return HTMLResponse(page)

    async def export_report(request):
        run = X.get_run(request.path_params["rid"])
        page = await run_in_threadpool(X.export_report, run)
        name = f"scslab-{run.rulebook.metadata.name}-{run.id[:6]}.html"
        return HTMLResponse(page, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def favicon(request):
        return Response(status_code=204)

    routes = [
        Route("/", guarded(index)),
        Route("/favicon.ico", favicon),
        Route("/api/state", guarded(state)),
        Route("/api/rulebooks", guarded(load_rulebook), methods=["POST"]),
        Route("/api/audit", guarded(audit), methods=["POST"]),
        Route("/api/export/rulebook", guarded(export_rulebook), methods=["POST"]),
        Route("/api/runs", guarded(start_run), methods=["POST"]),
        Route("/api/runs/{rid}", guarded(get_run)),
        Route("/api/runs/{rid}/stop", guarded(stop_run), methods=["POST"]),
        Route("/api/runs/{rid}/citizen/{cid:int}", guarded(citizen)),
        Route("/api/runs/{rid}/report", guarded(run_report)),
        Route("/api/runs/{rid}/export", guarded(export_report)),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes)


def _problem(p) -> dict:
    from ..rulebook.errors import format_path

    return {"file": p.file, "line": p.line, "column": p.column, "field": format_path(p.path) if p.path else "",
            "message": p.message, "text": str(p)}

"""`scslab nation`: run a nation config (municipalities, pilots, the national layer)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from ..limits import DEFAULT_SEED, DEFAULT_STEPS, LEVER_NAMES, MAX_STEPS
from . import app
from .common import console, fail, fail_with_problems, safe
from .run_cmds import _Bar, _check_flags, _folder_message, _interrupted, _write_message


@app.command()
def nation(
    config: str = typer.Argument(None, help="a nation config file, or a bundled nation (pilots-43)"),
    population: int = typer.Option(100_000, "--population", "-n", help="citizens in the whole nation"),
    steps: int = typer.Option(DEFAULT_STEPS, "--steps", "-t", help=f"days to simulate (1..{MAX_STEPS:,})"),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", "-s", help="random seed (>= 0)"),
    out: Path = typer.Option(None, "--out", "-o", help="run folder to write (default runs/<nation>-s<seed>)"),
    ledger: float = typer.Option(0.0, "--ledger", help="share of citizens whose every event is kept (0..1)"),
    off: list[str] = typer.Option([], "--off", help=f"switch a lever off: {', '.join(LEVER_NAMES)} (repeatable)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace a complete run folder scslab wrote"),
    checkpoint_every: int = typer.Option(None, "--checkpoint-every",
                                         help="save resumable state every K days (continue with scslab run --resume)"),
    executor: str = typer.Option("local", "--executor", help="where shards step: local (this process), processes "
                                 "(blocks of municipalities in worker processes on this machine) or ray (blocks on "
                                 "Ray workers; pip install 'scslab\\[ray]')"),
    workers: int = typer.Option(None, "--workers", help="worker processes or Ray workers, each stepping a block of "
                                "municipalities (default: one per core, or per CPU Ray has)"),
    address: str = typer.Option(None, "--address", help="a running Ray cluster (auto, or ray://host:port); "
                                "default: start Ray on this machine"),
    check: bool = typer.Option(False, "--check", help="only validate the config and list its municipalities"),
    export: bool = typer.Option(False, "--export", help="print the config's YAML (e.g. of a bundled nation)"),
    report: Path = typer.Option(None, "--report", help="print the report of a nation's run folder"),
) -> None:
    """Run a nation: municipalities with their own pilots beside a national layer.

    Writes one run folder with the usual tables (a steps row per municipality and day) and
    three of the nation's own: municipalities (one row each), national (the national list:
    who is on it, in how many municipalities it restricts and is felt) and reach (one row
    per citizen ever on the national list). Prints what the national list did across the
    municipalities.
    """
    if report is not None:
        from ..nation.report import report_text
        from ..store import RunFolderError

        try:
            text = report_text(report)
        except (RunFolderError, ValueError, FileNotFoundError) as e:
            fail(str(e))
        console.print(safe(text, limit=None, lines=True), markup=False, soft_wrap=True)
        return
    if config is None:
        fail("give a nation config file or a bundled nation (pilots-43)")
    if executor not in ("local", "processes", "ray"):
        fail(f"--executor takes local, processes or ray; got {executor}")
    if workers is not None and executor == "local":
        fail("--workers needs --executor processes or ray")
    if address is not None and executor != "ray":
        fail("--address needs --executor ray")
    if workers is not None and not 1 <= workers <= 4096:
        fail(f"--workers must be in 1..4,096, got {workers}")
    if executor != "local" and ledger > 0:
        fail("--ledger is kept only with --executor local")
    levers = _check_flags(population, steps, seed, ledger, 1, checkpoint_every, off)
    from ..nation import load_nation
    from ..nation.config import NATIONS, nation_text
    from ..rulebook.errors import RulebookError

    if export:
        if config in NATIONS and not Path(config).exists():
            console.print(nation_text(config), markup=False, end="")
        else:
            try:
                load_nation(config)
            except RulebookError as e:
                fail_with_problems(e.problems)
            console.print(Path(config).read_text(encoding="utf-8"), markup=False, end="")
        return
    try:
        nat = load_nation(config)
    except RulebookError as e:  # located messages, exit 2
        fail_with_problems(e.problems)
    cfg = nat.config
    if check:
        console.print(Text.assemble((safe(nat.name), "bold"), ": ", safe(cfg.title)))
        pilots = nat.pilots()
        for m, p in zip(cfg.municipalities, pilots, strict=True):
            console.print(f"  {safe(m.name, 40):<16}{safe(p, 40):<24}{m.share / sum(x.share for x in cfg.municipalities):>8.2%}",
                          markup=False)
        console.print(f"{len(cfg.municipalities)} municipalities; national layer: "
                      f"{safe(nat.national.metadata.name) if nat.national else 'none'}; "
                      f"{cfg.ties.cross_municipality_share:.0%} of ties cross municipal borders", markup=False)
        return
    if population < len(cfg.municipalities):
        fail(f"--population: more municipalities ({len(cfg.municipalities)}) than citizens ({population})")
    from ..store import RunFolderError, check_writable

    if out is None:
        out = Path("runs") / f"{nat.name}-s{seed}"
    try:
        check_writable(out, overwrite=overwrite)
    except RunFolderError as e:
        fail(_folder_message(e, out))
    except OSError as e:
        fail(f"cannot write the run folder {out}: {e.strerror or e}")
    from ..engine.memory import event_rate, memory_problem

    n_lists = max(len(rb.lists) for rb in nat.rulebooks()) + (len(nat.national.lists) if nat.national else 0)
    spec = cfg.society_spec(population)
    problem = memory_problem(population, spec.network.mean_degree, n_lists, ledger, steps,
                             event_rate([*nat.rulebooks(), nat.national]), spec.municipality_count,
                             spec.network.cross_municipality_share)
    if problem:
        fail(problem)
    from ..engine.distributed import ShardExecutorError
    from ..engine.validate import ParameterError
    from ..nation.report import report_text
    from ..nation.run import run_config

    shards = None
    if executor == "processes":
        from ..engine.process_blocks import ProcessBlocks

        try:
            shards = ProcessBlocks(workers=workers)
        except ShardExecutorError as e:
            fail(str(e))
    if executor == "ray":
        from ..engine.ray_blocks import RayShards

        try:
            shards = RayShards(workers=workers, address=address)
        except ShardExecutorError as e:
            fail(str(e))
    try:
        with _Bar(f"{safe(nat.name)} x {population:,}") as tick:
            res = run_config(nat, population=population, steps=steps, seed=seed, levers=levers,
                             ledger=ledger if ledger > 0 else False, progress=tick, out=out,
                             checkpoint_every=checkpoint_every, overwrite=overwrite, executor=shards)
    except KeyboardInterrupt:
        _interrupted(out, checkpoint_every is not None)
    except RunFolderError as e:
        fail(_folder_message(e, out))
    except ParameterError as e:
        fail(f"--{e.param.replace('_', '-')} {e.detail}")
    except ShardExecutorError as e:  # a worker lost, and no checkpoint to continue from
        fail(str(e))
    except OSError as e:
        fail(_write_message(e, out, checkpoint_every is not None))
    console.print(safe(report_text(res), limit=None, lines=True), markup=False, soft_wrap=True)
    rate = res.timing.get("citizen_steps_per_second")
    ex = res.timing.get("executor")
    if ex:
        console.print(f"\n{res.timing['citizen_steps_per_second_loop']:,} citizen-steps per second over the "
                      f"supersteps ({rate:,} with the workers' start); {ex['workers']} "
                      f"{'Ray workers' if ex['executor'] == 'ray' else 'worker processes'}; "
                      + (f"{ex['exchange_bytes_per_step']:,} bytes exchanged per step ({ex['exchange_ids_per_step']:,} "
                         "view entries); " if ex["executor"] == "ray" else
                         f"{ex['exchange_ids_per_step']:,} view entries read across blocks from shared memory; ")
                      + f"a superstep took {ex['superstep_seconds_median']:.3f} s (median)",
                      markup=False, soft_wrap=True)
    elif rate:
        console.print(f"\n{rate:,} citizen-steps per second", markup=False)
    for rec in res.timing.get("recovered", []):
        console.print(f"a worker was lost at step {rec['worker_lost_at_step']}; the run continued from its newest "
                      "checkpoint", markup=False)
    console.print(Text.assemble("run folder: ", (safe(out), "bold")))

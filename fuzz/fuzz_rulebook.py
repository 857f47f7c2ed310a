"""Coverage-guided fuzzing of the rulebook loader and the audit with atheris (libFuzzer).

    pip install atheris            # or: pip install -e '.[fuzz]'
    python fuzz/fuzz_rulebook.py -atheris_runs=100000
    python fuzz/fuzz_rulebook.py -max_total_time=600 fuzz/found     # keep new inputs in fuzz/found
    SCSLAB_FUZZ_SIMULATE=1 python fuzz/fuzz_rulebook.py -atheris_runs=2000   # also simulate

Each input is a YAML document. It must either load (then it is audited, and with
SCSLAB_FUZZ_SIMULATE=1 simulated on 40 citizens for 3 days) or raise RulebookError whose
problems are all located inside the document with a short message. Anything else, an input
slower than -timeout (10 s by default here) or a process above -rss_limit_mb (1,024 MB by
default here) is a finding: libFuzzer stops and writes the input to crash-*/timeout-*/oom-*.

The seed corpus is fuzz/corpus.py's hostile documents plus the bundled pilots; the
dictionary fuzz/yaml.dict gives libFuzzer YAML's tokens. See docs/reliability.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

with atheris.instrument_imports(include=["scslab.rulebook", "scslab.audit", "yaml"]):
    from scslab.audit import audit
    from scslab.rulebook import RulebookError, parse_rulebook

from corpus import documents  # noqa: E402

SIMULATE = os.environ.get("SCSLAB_FUZZ_SIMULATE") == "1"
SEED_MAX_BYTES = 64_000


def check(data: bytes) -> None:
    try:
        rb = parse_rulebook(data, "fuzz.yaml")
    except RulebookError as e:
        text = data.decode("utf-8", "replace")
        lines = sum(text.count(c) for c in "\n\r\x85\u2028\u2029") + 2  # YAML's line breaks
        if not e.problems:
            raise AssertionError("RulebookError without problems") from None
        for p in e.problems:
            if p.file != "fuzz.yaml" or not 1 <= p.line <= lines or p.column < 1:
                raise AssertionError(f"problem not located in the document: {p}") from None
            if not p.message.strip() or len(p.message) >= 400:
                raise AssertionError(f"empty or overlong message: {str(p)[:500]}") from None
        return
    report = audit(rb)
    for f in report.findings:
        if not f.code or f.line < 1:
            raise AssertionError(f"finding without a code or line: {f}")
    if SIMULATE:
        from scslab.engine import simulate

        r = simulate(rb, population=40, steps=3, seed=0, ledger=True)
        if not r.citizens.score.between(rb.scale.min, rb.scale.max).all():
            raise AssertionError("score off the scale")


def TestOneInput(data: bytes) -> None:  # noqa: N802 - atheris' name
    check(data)


def _seed_dir() -> str:
    d = Path(tempfile.mkdtemp(prefix="scslab-fuzz-seeds-"))
    for name, raw in documents().items():
        if len(raw) <= SEED_MAX_BYTES:
            (d / f"{name}.yaml").write_bytes(raw)
    pilots = HERE.parent / "scslab" / "pilots"
    for p in sorted(pilots.glob("*.yaml")):
        (d / f"pilot-{p.name}").write_bytes(p.read_bytes())
    (d / "harsh.yaml").write_bytes((HERE.parent / "tests" / "data" / "harsh.yaml").read_bytes())
    return str(d)


def main() -> None:
    argv = list(sys.argv)
    flags = [a for a in argv[1:] if a.startswith("-")]
    dirs = [a for a in argv[1:] if not a.startswith("-")]
    defaults = {"-timeout=": "10", "-rss_limit_mb=": "1024", "-max_len=": str(SEED_MAX_BYTES),
                "-dict=": str(HERE / "yaml.dict")}
    for k, v in defaults.items():
        if not any(a.startswith(k) for a in flags):
            flags.append(k + v)
    if dirs:  # the first directory collects new inputs; the seeds are read from a second one
        dirs.append(_seed_dir())
    else:
        dirs = [_seed_dir()]
    atheris.Setup([argv[0], *flags, *dirs], TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

"""Stage cost benchmark: milliseconds per document of each stage, and "same bytes" against another commit.

The stages run as a chunk task runs them (``vnclean.flows.pipeline.run_chunk``: ingest, strip, repair,
translate without a model, write with its fsyncs, the manifest and the chunk's part file; no
Prefect) over a seeded synthetic backlog (``scripts/make_backlog.py``, 400 documents by default),
in chunks of 50 after the site templates are learned, in a new process per round. Per stage the
time comes from the documents' own stage seconds; "other" is the rest of the chunk (manifest,
part file, set-aside records).

With ``--base REV`` the tree at that commit (``git archive``) runs the same rounds alternately with
this one, so both see the same machine load, and the two trees' outputs are compared byte for
byte: every written document (``pipeline_version``, the hash of the code, masked), ``.vi.txt`` and
``.en.txt``; and, on the seeds, every page of ``tests/data/strip`` (as saved, and as plain lines
and flattened), the backlog, and the garbled documents of ``benchmarks/repair.py``: ingest's text,
raw lines, encoding and fixes, the language, and the repair stage's whole result.

    python benchmarks/stages.py                        # this tree: ms/doc per stage
    python benchmarks/stages.py --base main --rounds 3 # side by side with main, outputs compared
    python benchmarks/stages.py --profile              # and the 30 functions with the most own time

The machine is shared: the ratios between the trees of one run are what to read; the load
average is printed with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("ingest", "strip", "repair", "translate", "write")


# ---------------------------------------------------------------------------------------------
# worker side: runs inside the tree under test (its root first on sys.path)

def _timing(backlog: Path, out: Path, profile: Path | None) -> dict:
    from vnclean.flows.pipeline import run_chunk
    from vnclean.tasks.ingest import DEFAULT_MAX_BYTES, assign_ids
    from vnclean.tasks.pipeline import learn_templates

    try:
        from vnclean.flows.run import version_key
    except ImportError:  # a --base tree from before the run module
        from vnclean.tasks.pipeline import version_key
    from vnclean.tasks.repair import load_names
    from vnclean.tasks.templates import TEMPLATES_FILE

    paths = sorted(str(p) for p in backlog.glob("*.txt"))
    ids = assign_ids(paths)
    learn_templates(paths, out / TEMPLATES_FILE)
    load_names()  # loaded once per process in a run too
    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    for i in range(0, len(paths), 50):
        run_chunk(paths[i:i + 50], ids, f"chunk-{i:06d}", str(out), DEFAULT_MAX_BYTES, version_key(None), False,
                  False)
    total = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    seconds = dict.fromkeys(STAGES, 0.0)
    for part in sorted((out / "_parts").glob("*.jsonl")):
        for line in part.read_text(encoding="utf-8").splitlines():
            for stage, s in json.loads(line)["stages"].items():
                seconds[stage] = seconds.get(stage, 0.0) + s
    seconds["other"] = total - sum(seconds.values())
    seconds["total"] = total
    return {"docs": len(paths), "seconds": seconds}


def _inputs(backlog: Path, scratch: Path) -> list[Path]:
    """The seeds, every corpus page as saved and as plain lines and flattened, and the backlog."""
    sys.path.insert(0, str(ROOT / "benchmarks"))  # this script's corpus reader and garbled sets, whatever
    # the tree: the stages they call are the tree's (imported first)
    from strip import as_text, flattened, load_corpus

    paths = sorted((Path.cwd() / "input").glob("*.txt"))
    suffix = {"text": ".txt", "markdown": ".md", "html": ".html"}
    scratch.mkdir(parents=True, exist_ok=True)
    for page in load_corpus():
        for variant, made in (("", page), ("-lines", as_text(page)), ("-flat", flattened(page))):
            path = scratch / f"{page.name}{variant}{suffix[made.shape]}"
            path.write_text(made.raw, encoding="utf-8")
            paths.append(path)
    return paths + sorted(backlog.glob("*.txt"))


def _dump(backlog: Path, out: Path) -> None:
    """One JSON line per input and per garbled document: what ingest, language and repair made."""
    import dataclasses

    from vnclean.tasks.boilerplate import strip_boilerplate
    from vnclean.tasks.ingest import Ingested, ingest_file
    from vnclean.tasks.langid import detect_language
    from vnclean.tasks.repair import repair_document

    def repaired(r) -> dict:
        d = dataclasses.asdict(r)
        d["repairs"] = [x.model_dump() for x in r.repairs]
        d["uncertain"] = [x.model_dump() for x in r.uncertain]
        d["machine_translated"] = r.machine_translated.model_dump()
        return d

    with tempfile.TemporaryDirectory() as scratch, out.open("w", encoding="utf-8") as sink:
        for path in _inputs(backlog, Path(scratch)):
            found = ingest_file(path)
            row: dict = {"input": path.name}
            if isinstance(found, Ingested):
                s = strip_boilerplate(found.text, shape=found.shape)
                body = " ".join([s.summary or "", *s.paragraphs]) or s.title or ""
                row.update(text=found.text, raw_lines=found.raw_lines, fixes=found.fixes, shape=found.shape,
                           source=found.source.model_dump(exclude={"path"}), language=detect_language(body),
                           page_language=detect_language(found.text),
                           repair=repaired(repair_document(s.title or "", s.summary, s.paragraphs, s.captions)))
            else:
                row["rejected"] = found.model_dump(exclude={"source"})
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
        import repair as bench  # the garbled sets of benchmarks/repair.py

        for case in bench.make_cases(0):
            sink.write(json.dumps({"input": f"seed-case {case.kind}", "repair": repaired(
                repair_document(case.title, None, [case.garbled], []))}, ensure_ascii=False) + "\n")
        for n, case in enumerate(bench.make_real_cases(0)):
            for which in ("garbled", "light", "clean"):
                sink.write(json.dumps({"input": f"real-case {n} {which}", "repair": repaired(
                    repair_document(case.title, None, getattr(case, which), []))}, ensure_ascii=False) + "\n")


def worker(args: argparse.Namespace) -> None:
    os.chdir(args.tree)
    sys.path.insert(0, str(args.tree))
    if args.dump:
        _dump(args.backlog, args.dump)
        return
    result = _timing(args.backlog, args.out, args.profile_to)
    print(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# driver side

def _run_worker(tree: Path, backlog: Path, extra: list[str]) -> str:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--tree", str(tree), "--backlog",
           str(backlog), *extra]
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(backlog.parent / "no-argos"), "PYTHONHASHSEED": "0"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"{tree}: {done.stderr[-3000:]}")
    return done.stdout


def _documents(out: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(out.iterdir()):
        if path.is_file() and not path.name.startswith("_") and path.suffix in (".json", ".txt"):
            data = path.read_bytes()
            if path.suffix == ".json":
                doc = json.loads(data)
                doc["pipeline_version"] = "-"
                data = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
            files[path.name] = data
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=2, help="timed rounds per tree (the fastest is shown)")
    ap.add_argument("--base", help="a commit to run side by side and compare outputs with")
    ap.add_argument("--profile", action="store_true", help="cProfile one more round of this tree")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--backlog", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    work = Path(tempfile.mkdtemp(prefix="vnclean-stages-"))
    try:
        backlog = work / "backlog"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_backlog.py"), str(backlog), "--docs",
                        str(args.docs), "--seed", str(args.seed)], check=True, stdout=subprocess.DEVNULL)
        trees = {"this": ROOT}
        if args.base:
            base = work / "base"
            base.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base], check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
            trees = {f"base {args.base}": base, "this": ROOT}
        best: dict[str, dict[str, float]] = {}
        print(f"{args.docs} backlog documents, {os.cpu_count()} cores, load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
        for r in range(args.rounds):
            for name, tree in trees.items():
                out = work / f"out-{r}-{name.split()[0]}"
                result = json.loads(_run_worker(tree, backlog, ["--out", str(out)]).splitlines()[-1])
                ms = {k: v * 1000 / result["docs"] for k, v in result["seconds"].items()}
                best[name] = {k: min(v, best.get(name, {}).get(k, v)) for k, v in ms.items()}
        print(f"{'ms/doc':<22}" + "".join(f"{s:>10}" for s in (*STAGES, "other", "total")) + f"{'docs/s':>9}")
        for name, ms in best.items():
            print(f"{name:<22}" + "".join(f"{ms[s]:>10.2f}" for s in (*STAGES, "other", "total"))
                  + f"{1000 / ms['total']:>9.1f}")
        print(f"(fastest of {args.rounds} rounds per stage; load average now "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())})")
        if args.base:
            docs = [_documents(work / f"out-0-{name.split()[0]}") for name in trees]
            differ = sorted(k for k in docs[0].keys() | docs[1].keys() if docs[0].get(k) != docs[1].get(k))
            print(f"written files: {len(docs[1])}, differing: {len(differ)} {differ[:5]}")
            dumps = []
            for name, tree in trees.items():
                dump = work / f"dump-{name.split()[0]}.jsonl"
                _run_worker(tree, backlog, ["--dump", str(dump)])
                dumps.append(dump.read_text(encoding="utf-8").splitlines())
            differ = [json.loads(b)["input"] for a, b in zip(*dumps) if a != b]
            print(f"ingest/language/repair results: {len(dumps[1])} (base {len(dumps[0])}), differing: "
                  f"{len(differ)} {differ[:5]}")
        if args.profile:
            import pstats

            stats = work / "profile.out"
            _run_worker(ROOT, backlog, ["--out", str(work / "out-profile"), "--profile-to", str(stats)])
            pstats.Stats(str(stats)).sort_stats("tottime").print_stats(30)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

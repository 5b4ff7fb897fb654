"""
certchain's speed beside its peers', measured in one run on the same files.

Run: python benchmarks/run.py [--quick] [--sizes 1000,10000,100000] [--files 1000]
                              [--repeat 5] [--data DIR] [--markdown]

Generates its data once (cached in --data, default benchmarks/.data/; see
benchmarks/benchdata.py), then prints one table of medians over --repeat runs
of each command, each run a process of its own whose peak memory is read as
it ends (benchmarks/measure.py).  The rows:

- cold start: ``certchain --version`` against ``python -c "import click"``, and
  ``certchain build`` of a 3-certificate chain against the bare imports of
  what it needs;
- a leaf against N candidates (half unrelated CAs, half with the
  intermediate's name and another key, the real intermediate last): certchain
  build against pyca's verifier (benchmarks/peer_pyca.py), with ``openssl
  verify`` and ``cfssl bundle`` (when installed) beside them; then how
  certchain's time and memory grow between the two largest sizes;
- ``certchain verify`` of many chained files in one call, against a shell
  loop of ``openssl verify`` over the same files;
- ``certchain audit`` of an nginx configuration of 500 sites across 50
  included files, against ``certchain verify`` of the chained files they name;
- the adversarial pools of tests/pki.py (``path_pool``): certchain build.

Each row carries the target of issue 10 and whether this run met it.  A missed
target is printed, never an exit status: the script exits 1 only when a command
fails or gives a wrong answer (the chain built must be leaf, intermediate,
root), since then no figure means anything.  --quick runs small sizes once, to
show in CI that the benchmark works.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cryptography
from benchdata import AT, AT_ISO, HOST, Data, Hierarchy, PoolFiles
from cryptography.hazmat.backends.openssl.backend import backend
from measure import (
    Command,
    CommandFailed,
    Figure,
    expect_cfssl_bundle,
    expect_chain_file,
    expect_lines,
    measure,
)

HERE = Path(__file__).resolve().parent
DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (100, 1_000)
#: The adversarial pools (tests/pki.py path_pool): shape, size, size in --quick, what it is.
POOLS = (
    ("decoys", 2_000, 200, "{} same-named CAs"),
    ("mesh-same", 30, 8, "a cross-sign mesh of {} CAs"),
    ("reissued", 10, 5, "{} levels of re-issued CAs"),
)
#: Issue 10's targets.
VERSION_TARGET = 1.25
SMALL_BUILD_TARGET = 1.3
TIME_TARGET, MEMORY_TARGET = 1.2, 1.5
TARGET_FROM = 10_000  # the candidate rows the time and memory targets apply to
BATCH_TARGET = 0.1
POOL_SECONDS = 2.0


@dataclass(frozen=True)
class Row:
    """One line of the table; ``met`` is None where the row has no target."""

    work: str
    certchain: str
    compared: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None
    others: str = ""


HEADINGS = Row("work", "certchain", "compared with", "ratio", "target", None, "also measured")


@dataclass(frozen=True)
class Bench:
    """What every row needs: the data, the tools found, the output folder, the repeat count."""

    data: Data
    repeat: int
    scratch: Path
    certchain: tuple[str, ...]
    openssl: str | None
    cfssl: str | None

    @property
    def pki(self) -> Hierarchy:
        return self.data.hierarchy

    def build(self, leaf: Path, *inputs: Path, trust: Path, expected: Sequence[str],
              host: str | None = HOST, more: Sequence[str] = ()) -> Command:
        """``certchain build``, writing its chain to a scratch file that must hold *expected*."""
        out = self.scratch / "chained.pem"
        argv = (*self.certchain, "build", str(leaf), *map(str, inputs), "--trust", str(trust),
                "--at", AT_ISO, "-o", str(out), "--force")
        if host:
            argv = (*argv, "--hostname", host)
        return Command("certchain build", (*argv, *more), expect_chain_file(out, expected))

    def peers(self, untrusted: Path) -> list[Command]:
        """pyca's verifier, openssl verify and cfssl bundle (those installed) on the hierarchy."""
        pki = self.pki
        commands = [Command(
            "pyca", (sys.executable, str(HERE / "peer_pyca.py"), str(pki.root), str(untrusted),
                     str(pki.leaf), HOST, AT_ISO),
            expect_lines(pki.chain()),
        )]
        if self.openssl:
            commands.append(Command(
                "openssl", (self.openssl, "verify", "-CAfile", str(pki.root), "-untrusted",
                            str(untrusted), "-attime", str(int(AT.timestamp())),
                            "-verify_hostname", HOST, str(pki.leaf)),
                expect_lines([f"{pki.leaf}: OK"]),
            ))
        if self.cfssl:  # cfssl bundle takes no validation time: the certificates last till 2060
            commands.append(Command(
                "cfssl", (self.cfssl, "bundle", "-cert", str(pki.leaf), "-ca-bundle",
                          str(pki.root), "-int-bundle", str(untrusted), "-flavor", "optimal"),
                expect_cfssl_bundle(pki.chain()),
            ))
        return commands


def _python(code: str) -> Command:
    return Command(f"python -c {code!r}", (sys.executable, "-c", code))


def _ratio(a: Figure, b: Figure) -> float:
    return a.ratio(b)


def _at_most(value: float, limit: float) -> tuple[str, str, bool]:
    return f"{value:.2f}", f"≤ {limit:g}", value <= limit


def _others(commands: Sequence[Command], figures: Sequence[Figure], bench: Bench) -> str:
    cells = [f"{c.label} {f}" for c, f in zip(commands, figures)]
    missing = [name for name in ("openssl", "cfssl") if getattr(bench, name) is None]
    return "; ".join([*cells, *(f"{name} not installed" for name in missing)])


def cold_start(bench: Bench) -> list[Row]:
    """``--version`` against ``import click``; a 3-certificate build against its bare imports."""
    version = Command("certchain --version", (*bench.certchain, "--version"),
                      expect_lines(["certchain, version"]))
    click = _python("import click")
    mine, theirs = measure([version, click], bench.repeat, warm_up=True)
    rows = [Row("`certchain --version`", str(mine), f"`import click` {theirs}",
                *_at_most(_ratio(mine, theirs), VERSION_TARGET))]
    pki = bench.pki
    build = bench.build(pki.leaf, pki.inter, pki.root, trust=pki.root, expected=pki.chain())
    imports = _python("import cryptography.x509, click, certifi, ssl")
    peers = bench.peers(pki.inter)
    mine, theirs, *others = measure([build, imports, *peers], bench.repeat, warm_up=True)
    rows.append(Row(
        "`build` of a 3-certificate chain", str(mine),
        f"`import cryptography.x509, click, certifi, ssl` {theirs}",
        *_at_most(_ratio(mine, theirs), SMALL_BUILD_TARGET), _others(peers, others, bench),
    ))
    return rows


def candidates(bench: Bench, sizes: Sequence[int]) -> list[Row]:
    """A leaf against each number of candidates, then the growth between the two largest."""
    rows, figures = [], []
    pki = bench.pki
    for size in sizes:
        _progress(f"  {size:,} candidates")
        path = bench.data.candidates(size)
        build = bench.build(pki.leaf, path, trust=pki.root, expected=pki.chain(),
                            more=_input_size(path))
        pyca, *peers = bench.peers(path)
        mine, theirs, *others = measure([build, pyca, *peers], bench.repeat)
        figures.append(mine)
        time, memory = _ratio(mine, theirs), mine.peak_kib / theirs.peak_kib
        ratio = f"time {time:.2f}, memory {memory:.2f}"
        if size >= TARGET_FROM:
            target = f"time ≤ {TIME_TARGET:g}, memory ≤ {MEMORY_TARGET:g}"
            met: bool | None = time <= TIME_TARGET and memory <= MEMORY_TARGET
        else:
            target, met = "", None
        rows.append(Row(f"a leaf against {size:,} candidates", str(mine), f"pyca {theirs}",
                        ratio, target, met, _others(peers, others, bench)))
    if len(sizes) > 1:
        rows.append(_growth(sizes[-2], sizes[-1], figures[-2], figures[-1]))
    return rows


def _input_size(path: Path) -> tuple[str, ...]:
    """``--max-input-size`` when *path* is past certchain's default 50 MiB (100,000 decoys are)."""
    mib = -(-path.stat().st_size // 2**20)
    return ("--max-input-size", f"{mib}M") if mib > 50 else ()


def _growth(small: int, large: int, before: Figure, after: Figure) -> Row:
    """How certchain's time and memory grow from *small* to *large* candidates: linear at most."""
    time, memory = after.seconds / before.seconds, after.peak_kib / before.peak_kib
    limit = large / small
    return Row(
        f"growth {small:,} → {large:,} candidates", "",
        ratio=f"time {time:.1f}x, memory {memory:.1f}x", target=f"≤ {limit:g}x each",
        met=time <= limit and memory <= limit,
    )


def batch(bench: Bench, count: int) -> list[Row]:
    """``certchain verify`` of *count* chained files in one call, against an openssl loop."""
    files = bench.data.batch(count)
    pki = bench.pki
    verify = Command(
        "certchain verify",
        (*bench.certchain, "verify", *map(str, files), "--trust", str(pki.root), "--at", AT_ISO,
         "--hostname", HOST),
        expect_lines([f"{count} files: {count} ok, 0 with errors."]),
    )
    work = f"`verify` of {count:,} files in one call"
    if not bench.openssl:
        (mine,) = measure([verify], bench.repeat)
        return [Row(work, str(mine), "openssl not installed")]
    # One shell runs the whole loop; it stops at the first file openssl refuses.
    loop = (
        'openssl=$1 root=$2 at=$3 host=$4; shift 4; for f in "$@"; do '
        '"$openssl" verify -CAfile "$root" -untrusted "$f" -attime "$at" -verify_hostname "$host" '
        '"$f" >/dev/null || exit 1; done'
    )
    shell = Command("openssl loop", (
        "sh", "-c", loop, "sh", bench.openssl, str(pki.root), str(int(AT.timestamp())), HOST,
        *map(str, files),
    ))
    mine, theirs = measure([verify, shell], bench.repeat)
    return [Row(work, str(mine), f"`openssl verify` loop {theirs}",
                *_at_most(_ratio(mine, theirs), BATCH_TARGET))]


def host(bench: Bench, sites: int, includes: int) -> list[Row]:
    """``certchain audit`` of an nginx configuration, against ``verify`` of the files it names."""
    files = bench.data.host(sites, includes)
    pki = bench.pki
    audit = Command(
        "certchain audit",
        (*bench.certchain, "audit", str(files.config), "--trust", str(pki.root), "--at", AT_ISO),
        # The benchmark's leaves have no extended key usage: strict-policy warns, as in verify.
        expect_lines([f"{sites} sites: 0 ok, {sites} with warnings, 0 with errors; first expiry "
                      f"2060-01-01 (10957 days left): nginx site {HOST}."]),
    )
    verify = Command(
        "certchain verify",
        (*bench.certchain, "verify", *map(str, files.chains), "--trust", str(pki.root),
         "--at", AT_ISO, "--hostname", HOST),
        expect_lines([f"{sites} files: {sites} ok, 0 with errors."]),
    )
    mine, theirs = measure([audit, verify], bench.repeat)
    return [Row(f"`audit` of {sites:,} sites across {includes} included files", str(mine),
                f"`verify` of the same files {theirs}", f"{_ratio(mine, theirs):.2f}")]


def pools(bench: Bench, quick: bool) -> list[Row]:
    """certchain build on each adversarial pool: under 2 s each."""
    rows = []
    for shape, size, quick_size, what in POOLS:
        n = quick_size if quick else size
        pool: PoolFiles = bench.data.pool(shape, n)
        # tests/pki.py pins its own time (T0), which is also this benchmark's AT.
        build = bench.build(pool.leaf, pool.cas, trust=pool.anchor, expected=pool.path, host=None)
        (mine,) = measure([build], bench.repeat)
        rows.append(Row(
            f"{what.format(f'{n:,}')} (`{shape}`)", str(mine), target=f"< {POOL_SECONDS:g} s",
            met=mine.seconds < POOL_SECONDS,
        ))
    return rows


# ------------------------------------------------------------------ output


def machine() -> str:
    """Cores, CPU model, Python, OpenSSL (the CLI's and cryptography's), cryptography."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    openssl = _version(["openssl", "version"]) or "openssl not installed"
    cfssl = _version(["cfssl", "version"]) or "cfssl not installed"
    return (
        f"{os.cpu_count()} cores, {model}; Python {platform.python_version()}; "
        f"{openssl.split(' (')[0]} (CLI); cryptography {cryptography.__version__} "
        f"({backend.openssl_version_text()}; Python's ssl: {ssl.OPENSSL_VERSION}); "
        f"{cfssl.splitlines()[0]}".replace("Version: ", "cfssl ")
    )


def _version(argv: list[str]) -> str | None:
    if not shutil.which(argv[0]):
        return None
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()


def render(rows: Sequence[Row], markdown: bool) -> str:
    cells = [_cells(HEADINGS, heading=True), *(_cells(r) for r in rows)]
    if markdown:
        lines = [f"| {' | '.join(row)} |" for row in cells]
        lines.insert(1, f"|{'|'.join(' --- ' for _ in cells[0])}|")
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells
    )


def _cells(row: Row, heading: bool = False) -> list[str]:
    met = "result" if heading else {True: "met", False: "missed", None: ""}[row.met]
    return [row.work, row.certchain, row.compared, row.ratio, row.target, met, row.others]


# ------------------------------------------------------------------ command line


def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part.replace("_", "")) for part in text.split(","))
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes are positive whole numbers")
    return tuple(sorted(set(sizes)))


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, one run each: shows that the benchmark works (CI)")
    parser.add_argument("--sizes", type=_sizes, metavar="N,N,...",
                        help="numbers of candidates (default 1000,10000,100000; quick 100,1000)")
    parser.add_argument("--files", type=int, metavar="N",
                        help="files for the batch verify (default 1000; quick 20)")
    parser.add_argument("--repeat", type=int, metavar="N",
                        help="runs of each command, of which the median is shown "
                             "(default 5; quick 1)")
    parser.add_argument("--data", type=Path, default=HERE / ".data", metavar="DIR",
                        help="where the generated files are cached (default benchmarks/.data)")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args(argv)
    args.sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    args.files = args.files or (20 if args.quick else 1_000)
    args.repeat = args.repeat or (1 if args.quick else 5)
    return args


def _certchain() -> tuple[str, ...]:
    """The console script beside this Python, as users run it; else ``python -m certchain``."""
    script = Path(sys.executable).parent / "certchain"
    return (str(script),) if script.is_file() else (sys.executable, "-m", "certchain")


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _fresh_bytecode() -> None:
    """Compile certchain's modules now, so that no measured run compiles one from source."""
    import compileall

    import certchain

    compileall.compile_dir(Path(certchain.__file__).parent, quiet=1)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    _fresh_bytecode()
    header = [f"machine: {machine()}",
              f"command: {shlex.join([sys.executable, *sys.argv])}",
              f"figures: medians of {args.repeat} run(s) each; time is wall-clock, memory the "
              "peak resident set of the process (its largest child's when larger)"]
    _progress(f"generating or reading the data in {args.data}")
    data = Data(args.data)
    rows: list[Row] = []
    failed = None
    with tempfile.TemporaryDirectory(prefix="certchain-bench-") as scratch:
        bench = Bench(data, args.repeat, Path(scratch), _certchain(),
                      shutil.which("openssl"), shutil.which("cfssl"))
        try:
            _rows(bench, args, rows)
        except CommandFailed as exc:
            failed = exc
    prefix = "- " if args.markdown else ""
    print("\n".join(prefix + line for line in header), end="\n\n")
    print(render(rows, args.markdown))
    if failed:  # the rows measured before it stand; the run does not
        print(f"benchmark failed: {failed}", file=sys.stderr)
        return 1
    return 0


def _rows(bench: Bench, args: argparse.Namespace, rows: list[Row]) -> None:
    """Measure every row into *rows*, so that those measured stay when a later one fails."""
    _progress("cold start")
    rows += cold_start(bench)
    _progress("a leaf against candidates")
    rows += candidates(bench, args.sizes)
    _progress(f"verify of {args.files} files")
    rows += batch(bench, args.files)
    sites, includes = (40, 4) if args.quick else (500, 50)
    _progress(f"audit of {sites} sites across {includes} included files")
    rows += host(bench, sites, includes)
    _progress("adversarial pools")
    rows += pools(bench, args.quick)


if __name__ == "__main__":
    sys.exit(main())

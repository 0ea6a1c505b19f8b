"""The floor under a whole `pbxconf plan`: what any Python tool that reads the same YAML
with libyaml and makes the same calls must take, from measured parts.

    python benchmarks/floor.py MANIFESTS [--runs 5]

- start + imports: a fresh `python` that imports httpx, pydantic, ruamel.yaml and click
  (httpx without its own command line, which no tool needs), from the outside;
- YAML parse: libyaml parsing every manifest file and handing each of its events to
  Python (ruamel.yaml.clib's CParser), the least a loader built on it does;
- the calls alone: the plan's calls with nothing decoded or planned (workload.py
  `calls`, measured by run.py against the same PBX).

Each part is the median of `--runs`; the floor is their sum. run.py measures the parts
and the whole command in turn, run after run, so that a shared machine's load weighs on
both alike, and shows the median of the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

IMPORTS = (
    "import sys; sys.modules['httpx._main'] = None; import httpx, pydantic, ruamel.yaml, click"
)
PARSE = """
import sys, time
from pathlib import Path
from ruamel.yaml import CParser
from ruamel.yaml.events import StreamEndEvent

files = sorted(p for p in Path(sys.argv[1]).rglob("*") if p.suffix in (".yaml", ".yml"))
started = time.perf_counter()
for path in files:
    parser = CParser(path.read_text(encoding="utf-8"))
    get = parser.get_event
    while get().__class__ is not StreamEndEvent:
        pass
    parser.dispose()
print(time.perf_counter() - started)
"""


def imports_once() -> float:
    """Wall seconds of a fresh Python that only imports the libraries."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORTS], check=True)
    return time.perf_counter() - started


def parse_once(manifests: Path) -> float:
    """Seconds for libyaml to parse the manifests into events, in a fresh process (as a
    command reads them once)."""
    command = [sys.executable, "-c", PARSE, str(manifests)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifests", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    imports = statistics.median(imports_once() for _ in range(args.runs))
    parse = statistics.median(parse_once(args.manifests) for _ in range(args.runs))
    print(f"start + imports: {imports:.3f} s")
    print(f"YAML parse:      {parse:.3f} s")


if __name__ == "__main__":
    main()

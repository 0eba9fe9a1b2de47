"""Run one seed of one paper's protocol and write its rows as JSON (the unit of work of every runner).

    python -m reproducers.worker --paper B1VZqjAcYX --protocol quick --seed 0 --device cpu \\
        --cache CACHE_DIR --data DATA_DIR --out rows.json

Independent of the ``audit`` command line so that it runs alone inside a container. The output is
``{"runs": [...], "per_class": [...], "paper_id", "protocol", "seed", "environment": {...}}``, written
atomically; ``environment`` is :func:`reproducers.provenance.describe` of this process after the seed
(torch, CUDA, device, threads and determinism flags as the seed ran under them, read from inside the
container rather than guessed by the host). Exit codes: 0 done, 2 usage error (unknown paper or
protocol), 1 expected failure (message on stderr, one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core import atomic
from reproducers import provenance, registry
from reproducers.runners.local import resolve_device, run_seed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reproducers.worker", description=__doc__.split("\n")[0])
    parser.add_argument("--paper", required=True, help="OpenReview forum id or alias")
    parser.add_argument("--protocol", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--cache", type=Path, required=True, help="experiment-state cache folder")
    parser.add_argument("--data", type=Path, required=True, help="dataset folder")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the rows")
    parser.add_argument("--model", action="append", default=[], help="only this model (repeatable)")
    parser.add_argument("--registration", type=Path, help="registration file (instead of the built-in)")
    args = parser.parse_args(argv)

    def log(done: int, total: int, message: str) -> None:
        print(f"[{done}/{total}] {message}", file=sys.stderr, flush=True)

    try:
        spec = registry.with_models(_spec(args.paper, args.registration), args.protocol, args.model)
        runs, per_class = run_seed(spec, args.protocol, args.seed, args.device, args.cache, args.data, log)
    except Exception as exc:
        code = getattr(exc, "exit_code", None)
        if not isinstance(code, int):
            raise
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return code
    body = {
        "paper_id": spec.id,
        "protocol": args.protocol,
        "seed": args.seed,
        "runs": runs,
        "per_class": per_class,
        "environment": provenance.describe(resolve_device(args.device).type),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(args.out, json.dumps(body, indent=1), newline_at_end=False)
    return 0


def _spec(paper: str, registration: Path | None) -> registry.PaperSpec:
    """The built-in paper, or the one the registration file registers (which must be ``paper``)."""
    if registration is None:
        return registry.get(paper)
    from reproducers.errors import ReproductionUsageError
    from reproducers.registry.loader import load

    spec = load(registration)
    if not registry.matches(spec, paper):
        raise ReproductionUsageError(f"{registration.name} registers {spec.id}, not {paper}")
    return spec


if __name__ == "__main__":
    sys.exit(main())

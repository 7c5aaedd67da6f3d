"""Rewrite the audit's reference JSON, ``tests/data/reference/<case>.json``.

    python tools/update_reference.py            # every case (and remove files of cases gone)
    python tools/update_reference.py CASE ...   # only these
    python tools/update_reference.py --check    # compare only; exit 1 listing the cases that differ

The files pin the audit's output (see ``tests/test_reference_json.py``). Regenerate them only for a
change meant to change results, and say so, with the cases that moved, in the commit body.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import reference_cases as rc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"cases to rewrite (default: all {len(rc.CASES)})")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a stored file differs")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.cases) - set(rc.CASES))
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    names = args.cases or list(rc.CASES)
    differ = []
    for name in names:
        text = rc.dumps(rc.run_case(name))
        path = rc.reference_path(name)
        old = path.read_text() if path.exists() else None
        if old is not None and rc.nan_to_sentinel(json.loads(old)) == rc.nan_to_sentinel(json.loads(text)) and old == text:
            status = "same"
        else:
            differ.append(name)
            status = "differs" if args.check else ("written" if old is None else "rewritten")
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        print(f"{status:10} {path.relative_to(rc.ROOT)} ({len(text):,} bytes)")
    if not args.cases:
        for stale in sorted(set(rc.REFERENCE_DIR.glob("*.json")) - {rc.reference_path(n) for n in rc.CASES}):
            differ.append(stale.stem)
            print(f"{'stale' if args.check else 'removed':10} {stale.relative_to(rc.ROOT)}")
            if not args.check:
                stale.unlink()
    return 1 if args.check and differ else 0


if __name__ == "__main__":
    sys.exit(main())

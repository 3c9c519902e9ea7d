"""Ship GS1's Barcode Syntax Dictionary with the codes domain, or check the shipped copy.

The dictionary is data GS1 publishes (Apache-2.0; its licence header travels with it): the service
reads AI formats, check-digit and date rules, mandatory associations (req), invalid pairings (ex)
and Digital Link key qualifiers (dlpkey) from it at run time, so updating GS1's rules is a copy.

    python scripts/gs1_dictionary.py            # copy ../shared/specs/gs1/... into the package
    python scripts/gs1_dictionary.py --check    # fail if the shipped copy differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "specs" / "gs1" / "gs1-syntax-dictionary.txt"
TARGET = ROOT / "trace_service" / "codes" / "gs1-syntax-dictionary.txt"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    args = parser.parse_args()
    data = args.source.read_bytes()
    if b"Licensed under the Apache License, Version 2.0" not in data:
        print(f"{args.source}: no Apache-2.0 licence header; refusing to ship it", file=sys.stderr)
        return 1
    if args.check:
        if not TARGET.exists() or TARGET.read_bytes() != data:
            print(
                f"{TARGET} differs from {args.source}; run {Path(__file__).name}", file=sys.stderr
            )
            return 1
        return 0
    # Verbatim, header included: the licence asks that the notice stays with the data.
    TARGET.write_bytes(data)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

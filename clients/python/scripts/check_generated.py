"""Fails unless the committed stubs in src/lnpayd/v1 are exactly what
scripts/generate.py makes from proto/ now. Writes only to a temporary
directory."""

import filecmp
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent.parent


def main() -> int:
    committed = HERE / "src" / "lnpayd" / "v1"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(HERE / "scripts" / "generate.py"), tmp], check=True)
        fresh = pathlib.Path(tmp) / "lnpayd" / "v1"
        names = {p.name for p in committed.iterdir() if p.is_file()}
        names |= {p.name for p in fresh.iterdir() if p.is_file()}
        problems = []
        for name in sorted(names):
            a, b = committed / name, fresh / name
            if not a.exists():
                problems.append(f"missing: {name}")
            elif not b.exists():
                problems.append(f"stale: {name}")
            elif not filecmp.cmp(a, b, shallow=False):
                problems.append(f"differs: {name}")
    if problems:
        print("clients/python/src/lnpayd/v1 is not what scripts/generate.py makes now (run it and commit):")
        for p in problems:
            print(f"  {p}")
        return 1
    print("clients/python: src/lnpayd/v1 is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

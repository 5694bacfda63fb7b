"""Generates the stubs in src/lnpayd/v1 (or under the directory given) from
the repository's proto/ with grpcio-tools, whose bundled protoc makes the
output the same on every machine. The stubs are committed, so installing the
client needs no generator; scripts/check-generated.sh proves they are what
this produces."""

import pathlib
import sys

import grpc_tools
from grpc_tools import protoc

HERE = pathlib.Path(__file__).resolve().parent.parent
PROTO = HERE.parent.parent / "proto"
FILES = ["lnpayd/v1/invoices.proto", "lnpayd/v1/admin.proto", "lnpayd/v1/errors.proto"]


def main() -> int:
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "src"
    gen = out / "lnpayd" / "v1"
    gen.mkdir(parents=True, exist_ok=True)
    for old in gen.glob("*_pb2*.py*"):
        old.unlink()
    # The well-known types (timestamp.proto) as grpcio-tools ships them.
    wkt = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    args = ["protoc", f"-I{PROTO}", f"-I{wkt}", f"--python_out={out}", f"--pyi_out={out}", f"--grpc_python_out={out}"]
    if protoc.main(args + FILES) != 0:
        return 1
    (gen / "__init__.py").write_text('"""Generated from proto/lnpayd/v1 by scripts/generate.py; do not edit."""\n')
    return 0


if __name__ == "__main__":
    sys.exit(main())

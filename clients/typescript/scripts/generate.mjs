// Generates src/gen (or the directory given) from the repository's proto/
// with buf (pinned in scripts/ensure-tools.sh, so the compiler is the same
// on every machine) and protoc-gen-es (pinned by package-lock.json). The
// output is committed, so installing the client needs neither; `npm run
// check` proves the committed files are what this produces.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const repo = resolve(here, "../..");
const out = resolve(here, process.argv[2] ?? "src/gen");
const buf = process.env.BUF || join(repo, ".tools/bin/buf");

const template = {
  version: "v2",
  plugins: [
    {
      local: join(here, "node_modules/.bin/protoc-gen-es"),
      out,
      // TypeScript with .js import suffixes: what Node's ESM resolution needs after tsc.
      opt: ["target=ts", "import_extension=js"],
    },
  ],
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync(
  buf,
  [
    "generate",
    "--template",
    JSON.stringify(template),
    // The API, and google.rpc's ErrorInfo (for LnpaydError); not the store's records.
    "--path",
    "proto/lnpayd/v1",
    "--path",
    "proto/google/rpc/error_details.proto",
  ],
  { cwd: repo, stdio: "inherit" },
);

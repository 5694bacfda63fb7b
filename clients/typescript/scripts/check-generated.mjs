// Fails unless the committed generated code (src/gen) and build (dist) are
// exactly what `npm run build` makes from proto/ and src/ now. Writes only
// to a temporary directory.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const tmp = mkdtempSync(join(tmpdir(), "lnpayd-ts-check-"));

function files(dir) {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => relative(dir, f))
    .sort();
}

function compare(what, committed, fresh) {
  const a = files(committed);
  const b = files(fresh);
  const problems = [];
  for (const f of new Set([...a, ...b])) {
    if (!a.includes(f)) problems.push(`missing: ${f}`);
    else if (!b.includes(f)) problems.push(`stale: ${f}`);
    else if (!readFileSync(join(committed, f)).equals(readFileSync(join(fresh, f))))
      problems.push(`differs: ${f}`);
  }
  if (problems.length) {
    console.error(`${what} is not what \`npm run build\` makes now (run it and commit):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exitCode = 1;
  }
}

try {
  execFileSync("node", [join(here, "scripts/generate.mjs"), join(tmp, "gen")], { stdio: "inherit" });
  compare("clients/typescript/src/gen", join(here, "src/gen"), join(tmp, "gen"));
  execFileSync(join(here, "node_modules/.bin/tsc"), ["-p", here, "--outDir", join(tmp, "dist")], {
    stdio: "inherit",
  });
  compare("clients/typescript/dist", join(here, "dist"), join(tmp, "dist"));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (!process.exitCode) console.log("clients/typescript: src/gen and dist are up to date");

// Serves route.ts (the README's Next.js route handler, unchanged) on
// 127.0.0.1 for tests/webhooks: compiles it with TypeScript, then hands it
// each request as a web Request, as Next.js does.
//   node serve.js PORT   (NODE_PATH: the node_modules with standardwebhooks and typescript)
// FAIL_FIRST=N answers the first N POSTs 500 before the handler sees them.
"use strict";
const fs = require("fs");
const http = require("http");
const path = require("path");
const Module = require("module");
const ts = require("typescript");

const source = fs.readFileSync(path.join(__dirname, "route.ts"), "utf8");
const { outputText, diagnostics } = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  reportDiagnostics: true,
});
if (diagnostics && diagnostics.length) {
  console.error(ts.formatDiagnostics(diagnostics, ts.createCompilerHost({})));
  process.exit(1);
}
const route = new Module(path.join(__dirname, "route.js"), module);
route.paths = Module._nodeModulePaths(__dirname).concat((process.env.NODE_PATH || "").split(path.delimiter));
route._compile(outputText, path.join(__dirname, "route.js"));
const { POST } = route.exports;

const failFirst = Number(process.env.FAIL_FIRST || 0);
let posts = 0;

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const n = posts++;
  console.log(JSON.stringify({ post: n, webhook_id: req.headers["webhook-id"] || null }));
  if (n < failFirst) {
    res.writeHead(500).end();
    return;
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) headers.set(k, String(v));
  const request = new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method,
    headers,
    body: Buffer.concat(chunks),
  });
  const response = await POST(request);
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
server.listen(Number(process.argv[2] || 0), "127.0.0.1", () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});

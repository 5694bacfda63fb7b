// The client against a real lnpayd, started by tests/clients (cargo test
// --test clients), which passes the daemon's address and tokens in the
// environment and restarts the daemon when asked (see `restartDaemon`).
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  Code,
  EventType,
  LnpaydError,
  createLnpaydClient,
  idempotencyKeyFor,
  newIdempotencyKey,
} from "../dist/index.js";

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: run this through cargo test --test clients`);
  return v;
};
const address = env("LNPAYD_TEST_ADDR");
const client = createLnpaydClient({ address, token: env("LNPAYD_TEST_INVOICE_TOKEN") });
const admin = createLnpaydClient({ address, token: env("LNPAYD_TEST_ADMIN_TOKEN") });
after(() => {
  client.close();
  admin.close();
});

const createReq = (sat, description, idempotencyKey = "") => ({
  amount: { case: "amountSat", value: BigInt(sat) },
  memo: { case: "description", value: description },
  idempotencyKey,
});

async function until(what, f, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!f()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Asks the Rust side to kill -9 the daemon and start it again on the same
 * data dir and port; returns once it is serving again. */
async function restartDaemon() {
  const dir = env("LNPAYD_TEST_SIGNAL_DIR");
  writeFileSync(join(dir, "restart-requested"), "");
  await until("the daemon's restart", () => existsSync(join(dir, "restarted")), 60_000);
}

test("create, then the same idempotency key returns the same invoice", async () => {
  const key = newIdempotencyKey();
  const first = await client.invoices.createInvoice(createReq(1234, "ts idempotency", key));
  const again = await client.invoices.createInvoice(createReq(1234, "ts idempotency", key));
  assert.equal(again.id, first.id);
  assert.equal(again.paymentRequest, first.paymentRequest);
  const read = await client.invoices.getInvoice({ lookup: { case: "id", value: first.id } });
  assert.equal(read.id, first.id);
  assert.equal(read.amountMsat, 1_234_000n);
  assert.equal(read.description, "ts idempotency");

  // The same key with other parameters is refused, naming the invoice it made.
  const reused = await client.invoices
    .createInvoice(createReq(999, "ts idempotency", key))
    .then(() => assert.fail("a reused key with another amount was accepted"), (e) => e);
  assert.ok(reused instanceof LnpaydError);
  assert.equal(reused.code, Code.AlreadyExists);
  assert.equal(reused.reason, "IDEMPOTENCY_KEY_REUSED");
  assert.equal(reused.metadata.invoice_id, first.id);

  // A derived key is stable and distinguishes its parts.
  assert.equal(idempotencyKeyFor("order", 42), idempotencyKeyFor("order", 42));
  assert.notEqual(idempotencyKeyFor("ab", "c"), idempotencyKeyFor("a", "bc"));
});

test("a validation error carries its reason and field", async () => {
  const err = await client.invoices
    .createInvoice(createReq(0, "zero"))
    .then(() => assert.fail("amount 0 was accepted"), (e) => e);
  assert.ok(err instanceof LnpaydError, `${err}`);
  assert.equal(err.code, Code.InvalidArgument);
  assert.equal(err.codeName, "INVALID_ARGUMENT");
  assert.equal(err.reason, "AMOUNT_NOT_POSITIVE");
  assert.equal(err.metadata.field, "amount_sat");
  assert.equal(err.retryable, false);

  // Auth errors too: the invoice token may not call Admin.
  const denied = await client.admin.getStatus({}).then(() => assert.fail("allowed"), (e) => e);
  assert.equal(denied.code, Code.PermissionDenied);
  assert.equal(denied.reason, "ROLE_NOT_ALLOWED");
});

test("an onEvent that throws stops follow, and its event is not counted", async () => {
  const start = (await admin.admin.getStatus({})).lastEventSequence;
  const boom = new Error("boom");
  let calls = 0;
  const follower = client.follow(start, () => {
    if (++calls === 2) throw boom;
  });
  await client.invoices.createInvoice(createReq(300, "ts throws 1"));
  await client.invoices.createInvoice(createReq(301, "ts throws 2"));
  await assert.rejects(follower.done, (e) => e === boom);
  assert.equal(calls, 2);
  // A new follow from lastSequence gets the failed event again.
  assert.equal(follower.lastSequence, start + 1n);
});

test("follow delivers every event exactly once across kill -9 and restart", async () => {
  const start = (await admin.admin.getStatus({})).lastEventSequence;
  const seen = [];
  let retries = 0;
  const follower = client.follow(start, (ev) => void seen.push(ev), {
    minBackoffMs: 50,
    maxBackoffMs: 500,
    onRetry: () => retries++,
  });

  const created = [];
  for (let i = 0; i < 3; i++) {
    created.push((await client.invoices.createInvoice(createReq(100 + i, `ts follow ${i}`))).id);
  }
  await admin.admin.simulatePayment({ id: created[0] });
  await until("4 events before the restart", () => seen.length >= 4);

  // The Rust side creates 2 invoices right after the restart, while this
  // follower is still backing off or reconnecting.
  // follow() must not give up meanwhile.
  follower.done.catch((e) => console.error("follow ended:", e));
  await restartDaemon();
  for (let i = 3; i < 5; i++) {
    created.push((await client.invoices.createInvoice(createReq(100 + i, `ts follow ${i}`))).id);
  }
  await admin.admin.simulatePayment({ id: created[4] });
  const total = 4 + 2 + 3;
  await until(`${total} events`, () => seen.length >= total);
  // Anything delivered twice would arrive now.
  await new Promise((r) => setTimeout(r, 500));
  await follower.stop();
  await follower.done;

  assert.ok(retries > 0, "the follower never had to reconnect: the restart did not happen");
  assert.deepEqual(
    seen.map((e) => e.sequence),
    Array.from({ length: total }, (_, i) => start + BigInt(i + 1)),
    "a gap or a duplicate",
  );
  assert.equal(follower.lastSequence, start + BigInt(total));
  const ids = new Set(seen.map((e) => e.invoice?.id));
  for (const id of created) assert.ok(ids.has(id), `no event for ${id}`);
  const paid = seen.filter((e) => e.type === EventType.INVOICE_PAID).map((e) => e.invoice?.id);
  assert.deepEqual(paid, [created[0], created[4]]);
});

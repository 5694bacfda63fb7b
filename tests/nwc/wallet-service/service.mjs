// A NIP-47 wallet service for tests/nwc: Alby's NWCWalletService (request
// handling, encryption, relay reconnects) backed by alice's LND over gRPC,
// publishing payment_received notifications (nostr-tools) when her invoices
// settle. Test glue: the protocol handling is Alby's.
//
// Environment: NWC_RELAYS (comma-separated), NWC_WALLET_SECRET, NWC_CLIENT_PUBKEY
// (hex), LND_RPC (127.0.0.1:port), LND_CERT, LND_MACAROON (paths),
// NWC_NIP04_ONLY=1 for a wallet that offers NIP-04 only, NWC_NO_NOTIFY=1 to
// send no notifications. Prints "READY" once subscribed and announced.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import { NWCWalletService, NWCWalletServiceKeyPair } from "@getalby/sdk/nwc";
import { finalizeEvent, nip04, nip44 } from "nostr-tools";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const relays = env("NWC_RELAYS").split(",");
const walletSecret = env("NWC_WALLET_SECRET");
const clientPubkey = env("NWC_CLIENT_PUBKEY");
const nip04Only = process.env.NWC_NIP04_ONLY === "1";
const notify = process.env.NWC_NO_NOTIFY !== "1";
const hexToBytes = (h) => Uint8Array.from(Buffer.from(h, "hex"));
const log = (...a) => console.error(new Date().toISOString(), "wallet-service:", ...a);

// alice's LND.
const here = dirname(fileURLToPath(import.meta.url));
const def = protoLoader.loadSync(join(here, "lnd.proto"), { keepCase: true, longs: Number, enums: String, defaults: true });
const lnrpc = grpc.loadPackageDefinition(def).lnrpc;
const macaroon = readFileSync(env("LND_MACAROON")).toString("hex");
const creds = grpc.credentials.combineChannelCredentials(
  grpc.credentials.createSsl(readFileSync(env("LND_CERT"))),
  grpc.credentials.createFromMetadataGenerator((_, cb) => {
    const md = new grpc.Metadata();
    md.add("macaroon", macaroon);
    cb(null, md);
  }),
);
const lnd = new lnrpc.Lightning(env("LND_RPC"), creds);
const call = (method, req) =>
  new Promise((resolve, reject) => lnd[method](req, (err, res) => (err ? reject(err) : resolve(res))));

const METHODS = ["get_info", "make_invoice", "lookup_invoice"];
const NOTIFICATIONS = notify ? ["payment_received"] : [];

const STATES = { OPEN: "pending", SETTLED: "settled", CANCELED: "expired", ACCEPTED: "accepted" };
function transaction(inv) {
  const created = Number(inv.creation_date);
  return {
    type: "incoming",
    state: STATES[inv.state] ?? "pending",
    invoice: inv.payment_request,
    description: inv.memo,
    description_hash: inv.description_hash.length ? Buffer.from(inv.description_hash).toString("hex") : undefined,
    preimage: inv.state === "SETTLED" ? Buffer.from(inv.r_preimage).toString("hex") : undefined,
    payment_hash: Buffer.from(inv.r_hash).toString("hex"),
    amount: inv.state === "SETTLED" ? Number(inv.amt_paid_msat) : Number(inv.value_msat),
    fees_paid: 0,
    created_at: created,
    expires_at: created + Number(inv.expiry),
    settled_at: inv.state === "SETTLED" ? Number(inv.settle_date) : undefined,
    metadata: {},
  };
}

const failure = (code, message) => ({ result: undefined, error: { code, message } });

const handler = {
  async getInfo() {
    const i = await call("getInfo", {});
    return {
      result: {
        alias: i.alias,
        color: i.color,
        pubkey: i.identity_pubkey,
        network: i.chains[0]?.network ?? "regtest",
        block_height: i.block_height,
        block_hash: i.block_hash,
        methods: METHODS,
        notifications: NOTIFICATIONS,
      },
      error: undefined,
    };
  },
  async makeInvoice(req) {
    try {
      const added = await call("addInvoice", {
        value_msat: req.amount,
        memo: req.description ?? "",
        description_hash: req.description_hash ? Buffer.from(req.description_hash, "hex") : Buffer.alloc(0),
        expiry: req.expiry ?? 86400,
      });
      const inv = await call("lookupInvoice", { r_hash: added.r_hash });
      return { result: transaction(inv), error: undefined };
    } catch (e) {
      log("make_invoice failed:", e.message);
      return failure("INTERNAL", e.details ?? e.message);
    }
  },
  async lookupInvoice(req) {
    if (!req.payment_hash) return failure("OTHER", "lookup by payment_hash only");
    try {
      const inv = await call("lookupInvoice", { r_hash: Buffer.from(req.payment_hash, "hex") });
      return { result: transaction(inv), error: undefined };
    } catch (e) {
      if (e.code === grpc.status.NOT_FOUND) return failure("NOT_FOUND", "invoice not found");
      return failure("INTERNAL", e.details ?? e.message);
    }
  },
};

// NWCWalletService publishes each answer with `Promise.any(...)` and no
// catch; nostr-rs-relay sends no OK for ephemeral events, so every publish
// "times out" (the event is delivered all the same) and the rejection would
// end the process.
process.on("unhandledRejection", (e) => log("unhandled rejection:", e?.errors?.map((x) => x.message) ?? e?.message ?? e));

const service = new NWCWalletService({ relayUrls: relays });
if (nip04Only) {
  // A wallet that speaks NIP-04 only: a NIP-44 request is not understood.
  const decrypt = service.decrypt.bind(service);
  service.decrypt = (kp, content, type) => {
    if (type !== "nip04") throw new Error(`unsupported encryption ${type}`);
    return decrypt(kp, content, type);
  };
}
const keypair = new NWCWalletServiceKeyPair(walletSecret, clientPubkey);
await service.subscribe(keypair, handler);
if (nip04Only) {
  // NWCWalletService always announces both; without an encryption tag
  // NIP-47 means NIP-04 only.
  const info = finalizeEvent(
    { kind: 13194, created_at: Math.floor(Date.now() / 1000), tags: [["notifications", NOTIFICATIONS.join(" ")]], content: METHODS.join(" ") },
    hexToBytes(walletSecret),
  );
  await Promise.any(service.pool.publish(relays, info));
} else {
  await service.publishWalletServiceInfoEvent(walletSecret, METHODS, NOTIFICATIONS);
}

async function publishNotification(inv) {
  const body = JSON.stringify({ notification_type: "payment_received", notification: transaction(inv) });
  const kinds = nip04Only ? [23196] : [23197, 23196];
  for (const kind of kinds) {
    const content =
      kind === 23197
        ? nip44.encrypt(body, nip44.getConversationKey(hexToBytes(walletSecret), clientPubkey))
        : await nip04.encrypt(walletSecret, clientPubkey, body);
    const event = finalizeEvent(
      { kind, created_at: Math.floor(Date.now() / 1000), tags: [["p", clientPubkey]], content },
      hexToBytes(walletSecret),
    );
    const results = await Promise.allSettled(service.pool.publish(relays, event));
    log(`payment_received ${transaction(inv).payment_hash} kind ${kind}:`, results.map((r) => r.status === "fulfilled" ? r.value || "ok" : String(r.reason)).join(", "));
  }
}

// alice's settlements, from the moment we start (settle_index 0: no replay).
function followSettlements() {
  const stream = lnd.subscribeInvoices({ add_index: 0, settle_index: 0 });
  stream.on("data", (inv) => {
    if (inv.state === "SETTLED" && notify) publishNotification(inv).catch((e) => log("notify failed:", e.message));
  });
  stream.on("error", (e) => {
    if (e.code !== grpc.status.CANCELLED) log("invoice stream:", e.message);
    setTimeout(followSettlements, 1000);
  });
}
followSettlements();

process.on("SIGTERM", () => {
  service.close();
  process.exit(0);
});
console.log("READY");

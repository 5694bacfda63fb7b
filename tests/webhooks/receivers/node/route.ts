// app/api/lnpayd/route.ts: a Next.js (App Router) route handler receiving
// lnpayd's webhooks. `npm install standardwebhooks@1.1.1`, and set
// LNPAYD_WEBHOOK_SECRET to the secret CreateWebhookEndpoint returned.
//
// The signature and timestamp are verified by the Standard Webhooks package;
// each webhook-id is handled once (lnpayd sends the same id on every retry);
// the answer is 2xx only once the event is handled, so lnpayd retries
// anything that did not get through.
import { Webhook, WebhookVerificationError } from "standardwebhooks";

// lnpayd's Event in protobuf's JSON mapping (the fields used here).
interface LnpaydEvent {
  sequence: string;
  type:
    | "EVENT_TYPE_INVOICE_CREATED"
    | "EVENT_TYPE_INVOICE_PAID"
    | "EVENT_TYPE_INVOICE_EXPIRED"
    | "EVENT_TYPE_INVOICE_CANCELED";
  occurredAt: string;
  invoice: {
    id: string;
    status: string;
    amountMsat: string;
    amountReceivedMsat?: string;
    externalRef?: string;
    metadata?: Record<string, string>;
  };
}

const webhook = new Webhook(process.env.LNPAYD_WEBHOOK_SECRET!);
// webhook-ids already handled. In production: a table with a unique key,
// written in the same transaction as the change the event causes.
const handled = new Set<string>();

async function handleEvent(event: LnpaydEvent): Promise<void> {
  if (event.type === "EVENT_TYPE_INVOICE_PAID") {
    // e.g. mark the order event.invoice.externalRef as paid
  }
}

export async function POST(request: Request): Promise<Response> {
  const body = await request.text();
  let event: LnpaydEvent;
  try {
    event = webhook.verify(body, Object.fromEntries(request.headers)) as LnpaydEvent;
  } catch (err) {
    if (err instanceof WebhookVerificationError) {
      return Response.json({ error: err.message }, { status: 400 });
    }
    throw err;
  }
  const id = request.headers.get("webhook-id")!;
  const duplicate = handled.has(id);
  if (!duplicate) {
    await handleEvent(event);
    handled.add(id);
  }
  console.log(
    JSON.stringify({
      webhook_id: id,
      type: event.type,
      sequence: event.sequence,
      invoice_id: event.invoice.id,
      duplicate,
    }),
  );
  return Response.json({ duplicate });
}

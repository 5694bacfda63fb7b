#!/usr/bin/env python3
"""A complete lnpayd webhook receiver: Python's standard library and the
Standard Webhooks package.

    pip install standardwebhooks==1.1.0
    LNPAYD_WEBHOOK_SECRET=whsec_... python3 receiver.py 8000

Each POST's signature and timestamp are verified by the package; each
webhook-id is handled once (lnpayd sends the same id on every retry); the
answer is 2xx only once the event is handled, so lnpayd retries anything
that did not get through. One JSON line per accepted event goes to stdout.
"""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

webhook = Webhook(os.environ["LNPAYD_WEBHOOK_SECRET"])
# webhook-ids already handled. In production: a table with a unique key,
# written in the same transaction as the change the event causes.
handled = set()
handled_lock = threading.Lock()
log_lock = threading.Lock()


def log(doc):
    """One JSON line on stdout, whole even when requests run in parallel."""
    with log_lock:
        sys.stdout.write(json.dumps(doc) + "\n")
        sys.stdout.flush()


def handle_event(event):
    """Your code. `event` is lnpayd's Event in protobuf's JSON mapping."""
    invoice = event["invoice"]
    if event["type"] == "EVENT_TYPE_INVOICE_PAID":
        pass  # e.g. mark the order invoice.get("externalRef") as paid


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            event = webhook.verify(body, dict(self.headers))
        except WebhookVerificationError as e:
            return self.answer(400, {"error": str(e)})
        msg_id = self.headers["webhook-id"]
        with handled_lock:
            duplicate = msg_id in handled
            if not duplicate:
                handle_event(event)
                handled.add(msg_id)
        log({
            "webhook_id": msg_id,
            "type": event["type"],
            "sequence": event["sequence"],
            "invoice_id": event["invoice"]["id"],
            "duplicate": duplicate,
        })
        self.answer(200, {"duplicate": duplicate})

    def answer(self, status, doc):
        payload = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        pass  # the JSON lines above are the log


def main(handler=Receiver):
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    log({"listening": server.server_address[1]})
    server.serve_forever()


if __name__ == "__main__":
    main()

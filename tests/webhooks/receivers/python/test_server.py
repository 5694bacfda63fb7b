#!/usr/bin/env python3
"""receiver.py as tests/webhooks runs it, with faults a test can ask for.

Environment (besides receiver.py's LNPAYD_WEBHOOK_SECRET):
  FAIL_FIRST=N         answer the first N POSTs 500, before verifying
  SLEEP_SECS=S         sleep S seconds before handling each POST
  CHECK_SECRETS_FILE   a file of secrets, one a line, re-read per POST: each
                       POST's line says which of them its signatures verify with
"""
import io
import itertools
import os
import threading
import time

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

import receiver

FAIL_FIRST = int(os.environ.get("FAIL_FIRST", "0"))
SLEEP_SECS = float(os.environ.get("SLEEP_SECS", "0"))
CHECK_FILE = os.environ.get("CHECK_SECRETS_FILE")
posts = itertools.count()
posts_lock = threading.Lock()


def verifies_with(body, headers):
    if not CHECK_FILE or not os.path.exists(CHECK_FILE):
        return []
    out = []
    for secret in open(CHECK_FILE).read().split():
        try:
            Webhook(secret).verify(body, headers)
            out.append(True)
        except WebhookVerificationError:
            out.append(False)
    return out


class TestReceiver(receiver.Receiver):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.rfile = io.BytesIO(body)
        with posts_lock:
            n = next(posts)
        line = {
            "post": n,
            "webhook_id": self.headers.get("webhook-id"),
            "signatures": len(self.headers.get("webhook-signature", "").split()),
            "verifies_with": verifies_with(body, dict(self.headers)),
        }
        if n < FAIL_FIRST:
            line["injected"] = 500
            receiver.log(line)
            return self.answer(500, {"error": "injected"})
        receiver.log(line)
        if SLEEP_SECS:
            time.sleep(SLEEP_SECS)
        super().do_POST()


if __name__ == "__main__":
    receiver.main(TestReceiver)

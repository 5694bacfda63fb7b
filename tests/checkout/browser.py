"""Drives the checkout page in headless Chromium (Selenium + chromedriver).

Usage: browser.py PAGE_URL LIGHTNING_URI SUCCESS_URL EXPIRED_URL UNKNOWN_URL
Prints QR_OK once the screenshot's QR decodes to LIGHTNING_URI, then waits
for a line on stdin (the test has paid the invoice) and checks that the
page turns paid and redirects to SUCCESS_URL within 2 s without a reload.
Exits non-zero with a message on any failure.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def fail(msg):
    print("FAIL " + msg, flush=True)
    sys.exit(1)


def main():
    page, uri, success, expired, unknown = sys.argv[1:6]
    profile = tempfile.mkdtemp(prefix="lnpayd-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile,
        # A phone-sized window: the page must be readable there.
        "--window-size=420,900",
    ]:
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.get(page)
        status = driver.find_element(By.TAG_NAME, "body").get_attribute("data-status")
        if status != "pending":
            fail("status on load: %r" % status)
        shot = tempfile.mktemp(suffix=".png")
        driver.save_screenshot(shot)
        out = subprocess.run(["zbarimg", "--raw", "-q", shot], capture_output=True, text=True)
        os.remove(shot)
        decoded = out.stdout.strip()
        if decoded != uri:
            fail("QR decodes to %r, not %r (zbarimg exit %d)" % (decoded, uri, out.returncode))
        # Survives only if the page is not reloaded.
        driver.execute_script("window.__noReload = true;")
        print("QR_OK", flush=True)

        sys.stdin.readline()
        paid_at = time.monotonic()
        saw_paid = False
        while time.monotonic() - paid_at < 2.0:
            url = driver.current_url
            if url == success:
                break
            try:
                # The redirect may land between reading current_url above and
                # this script: a page without the flag is only a reload if it
                # is not the success page.
                st = driver.execute_script(
                    "if (window.__noReload) return document.body.dataset.status;"
                    "return location.href === arguments[0] ? 'redirected' : 'reloaded';",
                    success)
            except Exception:
                st = None  # navigating away
            if st == "redirected":
                break
            if st == "reloaded":
                fail("the page reloaded")
            if st == "paid":
                saw_paid = True
            time.sleep(0.05)
        else:
            fail("no redirect to %s within 2 s (at %s, paid seen: %s)"
                 % (success, driver.current_url, saw_paid))
        if not saw_paid:
            fail("the paid state was never shown before the redirect")

        driver.get(expired)
        st = driver.find_element(By.TAG_NAME, "body").get_attribute("data-status")
        shown = driver.find_element(By.ID, "expired").is_displayed()
        if st != "expired" or not shown:
            fail("expired invoice shows %r (expired section shown: %s)" % (st, shown))

        driver.get(unknown)
        text = driver.find_element(By.TAG_NAME, "body").text.strip()
        if text != "Not found":
            fail("unknown id shows %r" % text)
        print("OK", flush=True)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()

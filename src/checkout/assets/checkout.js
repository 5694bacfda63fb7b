// The payment page's live part: a countdown, a copy button, and the
// invoice's status pushed by the server (server-sent events). Without
// JavaScript the page refreshes itself instead (<noscript> meta refresh).
"use strict";
(function () {
  const body = document.body;
  const id = body.dataset.id;
  const expires = Number(body.dataset.expires);
  const success = body.dataset.success;
  const sections = ["pending", "paid", "expired", "canceled"];

  function show(status) {
    body.dataset.status = status;
    for (const s of sections) {
      document.getElementById(s).hidden = s !== status;
    }
    if (status === "paid" && success) {
      document.getElementById("redirecting").hidden = false;
      setTimeout(function () { window.location.assign(success); }, 500);
    }
  }

  const countdown = document.getElementById("countdown");
  function tick() {
    const left = Math.max(0, Math.floor((expires - Date.now()) / 1000));
    const m = Math.floor(left / 60), s = left % 60;
    countdown.textContent = m + ":" + String(s).padStart(2, "0");
    if (left === 0 && body.dataset.status === "pending") {
      show("expired");
    }
  }
  tick();
  setInterval(tick, 1000);

  const copy = document.getElementById("copy");
  if (navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(copy.dataset.copy).then(function () {
        copy.textContent = "Copied";
      });
    });
  }

  if (body.dataset.status === "pending") {
    const events = new EventSource("/pay/" + encodeURIComponent(id) + "/events");
    events.addEventListener("status", function (e) {
      const status = e.data;
      if (sections.includes(status)) {
        show(status);
        if (status !== "pending") {
          events.close();
        }
      }
    });
  } else {
    show(body.dataset.status);
  }
})();

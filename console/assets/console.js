// griot console: the two small helpers; every page works without them.
(function () {
  "use strict";
  // Live character and SMS-unit count of a message (GSM-7 or UCS-2).
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXT = "^{}\\[~]|€\f";
  function count(text) {
    var septets = 0, gsm = true, units = 0, i, ch;
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      if (GSM.indexOf(ch) >= 0) septets += 1;
      else if (EXT.indexOf(ch) >= 0) septets += 2;
      else { gsm = false; break; }
    }
    if (gsm) units = septets <= 160 ? 1 : Math.ceil(septets / 153);
    else units = text.length <= 70 ? 1 : Math.ceil(text.length / 67);
    if (!text.length) units = 0;
    return { gsm: gsm, chars: gsm ? septets : text.length, units: units };
  }
  var ta = document.querySelector("textarea[data-counter]");
  if (ta) {
    var out = document.getElementById(ta.getAttribute("data-counter"));
    var show = function () {
      var c = count(ta.value);
      out.textContent = c.chars + " " + out.getAttribute("data-chars") + " · " +
        (c.gsm ? out.getAttribute("data-gsm") : out.getAttribute("data-ucs")) + " · " +
        c.units + " " + out.getAttribute("data-units");
    };
    ta.addEventListener("input", show);
    show();
  }
  // Progress refresh of a running campaign.
  var live = document.getElementById("live");
  if (live && live.getAttribute("data-running") === "1" && window.fetch) {
    var url = live.getAttribute("data-status-url");
    var tick = function () {
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (s) {
          ["total", "pending", "sending", "sent", "failed", "unknown", "delivered"].forEach(function (k) {
            var el = document.getElementById("c-" + k);
            if (el) el.textContent = s[k];
          });
          var rate = document.getElementById("c-rate");
          if (rate) rate.textContent = s.rate;
          var eta = document.getElementById("c-eta");
          if (eta) eta.textContent = s.eta;
          var bar = live.querySelector("progress");
          var total = parseInt(String(s.total).replace(/\D/g, ""), 10);
          if (bar && total) bar.value = Math.round(100 * s.done / total);
          if (s.status === "running" || s.status === "scheduled") setTimeout(tick, 2000);
          else window.location.reload();
        }).catch(function () { setTimeout(tick, 5000); });
    };
    setTimeout(tick, 2000);
  }
})();

/* Check-in: scan tickets' QR codes with the camera, where the browser can.
 *
 * Progressive enhancement: without this script (or without BarcodeDetector and a camera)
 * the page works as it is: type the code, use a handheld scanner (which types it), or
 * find the person by name; a phone's own camera app opens the ticket's URL too.  With
 * them, "Scan with the camera" reads a QR code, puts it in the form and sends it.
 */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var box = document.querySelector("[data-scanner]");
    var form = document.querySelector("[data-scanner-form]");
    if (!box || !form || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
    var start = box.querySelector("[data-scanner-start]");
    var stop = box.querySelector("[data-scanner-stop]");
    var video = box.querySelector("[data-scanner-video]");
    var status = box.querySelector("[data-scanner-status]");
    var input = form.querySelector("input[name=code]");
    var stream = null;
    var timer = null;
    var detector;

    window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") === -1) return;
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      box.hidden = false;
    });

    function halt() {
      if (timer) window.clearInterval(timer);
      timer = null;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      video.hidden = true;
      stop.hidden = true;
      start.hidden = false;
    }

    function scan() {
      if (!stream || video.readyState < 2) return;
      detector.detect(video).then(function (codes) {
        if (!codes.length || !stream) return;
        var value = codes[0].rawValue || "";
        halt();
        status.textContent = "Ticket read: checking in…";
        input.value = value;
        form.submit();
      }).catch(function () { /* try again on the next frame */ });
    }

    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (s) {
          stream = s;
          video.srcObject = s;
          video.hidden = false;
          stop.hidden = false;
          start.hidden = true;
          status.textContent = "Point the camera at the QR code on the ticket.";
          return video.play();
        })
        .then(function () { timer = window.setInterval(scan, 250); })
        .catch(function () {
          halt();
          status.textContent = "The camera could not be used. Type the code, or find the person by name.";
        });
    });
    stop.addEventListener("click", function () {
      halt();
      status.textContent = "";
    });
  });
})();

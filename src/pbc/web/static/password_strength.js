// A password strength meter under every field for a new password (ASVS 2.1.8): on pbc's own
// pages and the Django admin's, every input with autocomplete="new-password" except the "again"
// field (its name ends in 2). It works in the browser alone: it sends nothing anywhere and loads
// nothing. The server still decides (Django's password validators, its list of 20,000 common
// passwords); the meter only helps the user choose before they submit.
//
// The estimate: each character is worth the bits of the kinds of character the password uses
// (lower case, capitals, digits, others), except characters that follow a pattern (a repeat,
// a run such as "abcd" or "4321", a keyboard row, a common word, the user's name), which are
// worth one bit each. Bands: under 12 characters "Too short"; then under 40 bits "Weak", under
// 60 "Fair", under 80 "Good", else "Strong".
"use strict";

(function () {
  var COMMON = [
    "password", "passw0rd", "qwerty", "letmein", "welcome", "admin", "login", "monkey",
    "dragon", "football", "baseball", "iloveyou", "master", "sunshine", "princess", "shadow",
    "trustno1", "secret", "summer", "winter", "spring", "autumn", "changeme", "default",
    "hospital", "doctor", "nurse", "health", "england", "london", "nhs", "pbc", "pct",
  ];
  var ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890"];
  var MINIMUM = 12;
  var LABELS = ["Too short", "Weak", "Fair", "Good", "Strong"];

  function poolBits(password) {
    var pool = 0;
    if (/[a-z]/.test(password)) pool += 26;
    if (/[A-Z]/.test(password)) pool += 26;
    if (/[0-9]/.test(password)) pool += 10;
    if (/[^a-zA-Z0-9]/.test(password)) pool += 33;
    return pool ? Math.log2(pool) : 0;
  }

  // Marks the positions of characters that follow a pattern.
  function patterned(password, names) {
    var lower = password.toLowerCase();
    var marked = new Array(password.length).fill(false);
    function mark(start, length) {
      for (var k = start; k < start + length; k++) marked[k] = true;
    }
    var words = COMMON.concat(names.filter(function (n) { return n.length >= 3; }));
    words.forEach(function (word) {
      var at = lower.indexOf(word);
      while (at !== -1) {
        mark(at, word.length);
        at = lower.indexOf(word, at + 1);
      }
    });
    for (var i = 1; i < lower.length; i++) {
      var step = lower.charCodeAt(i) - lower.charCodeAt(i - 1);
      if (step === 0 || step === 1 || step === -1) mark(i, 1); // a repeat or a run
    }
    ROWS.forEach(function (row) {
      for (var j = 0; j + 3 <= lower.length; j++) {
        var piece = lower.slice(j, j + 3);
        if (row.indexOf(piece) !== -1 || row.split("").reverse().join("").indexOf(piece) !== -1) {
          mark(j, 3);
        }
      }
    });
    return marked;
  }

  function strength(password, names) {
    var chars = Array.from(password);
    if (chars.length < MINIMUM) return { score: 0, bits: 0 };
    var per = poolBits(password);
    var marked = patterned(password, names);
    var bits = 0;
    for (var i = 0; i < password.length; i++) bits += marked[i] ? 1 : per;
    var score = bits < 40 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4;
    return { score: score, bits: Math.round(bits) };
  }

  function names(form) {
    var out = [];
    ["username", "first_name", "last_name", "email"].forEach(function (name) {
      var field = form && form.querySelector('[name="' + name + '"]');
      if (field && field.value) out.push(field.value.toLowerCase().split("@")[0]);
    });
    var known = document.querySelector("[data-pbc-username]");
    if (known) out.push(known.getAttribute("data-pbc-username").toLowerCase());
    return out;
  }

  function attach(input) {
    var box = document.createElement("div");
    box.className = "pbc-strength";
    box.id = input.id + "-strength";
    var meter = document.createElement("meter");
    meter.min = 0;
    meter.max = 4;
    meter.low = 2;
    meter.high = 3;
    meter.optimum = 4;
    meter.value = 0;
    meter.setAttribute("aria-hidden", "true");
    var text = document.createElement("p");
    text.className = "pbc-strength-text";
    text.setAttribute("aria-live", "polite");
    text.id = box.id + "-text";
    box.appendChild(meter);
    box.appendChild(text);
    var anchor = input.closest("div") || input;
    anchor.parentNode.insertBefore(box, anchor.nextSibling);
    input.setAttribute(
      "aria-describedby",
      ((input.getAttribute("aria-describedby") || "") + " " + text.id).trim()
    );
    function update() {
      var result = strength(input.value, names(input.form));
      meter.value = result.score;
      box.setAttribute("data-score", String(result.score));
      text.textContent = input.value
        ? "Password strength: " + LABELS[result.score] +
          (result.score === 0 ? " (at least " + MINIMUM + " characters)" : "") +
          (result.score > 0 && result.score < 3
            ? ". Longer is stronger: try a few unrelated words."
            : "")
        : "";
    }
    input.addEventListener("input", update);
    update();
  }

  function start() {
    document
      .querySelectorAll('input[autocomplete="new-password"]')
      .forEach(function (input) {
        if (!/2$/.test(input.name)) attach(input);
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// Security keys (WebAuthn): adding one (account page) and using one (the second step of
// signing in). A button with data-security-key="register" or "verify" asks the server for
// options (data-begin), the browser for the key's answer, and sends it back (data-finish).
(function () {
  "use strict";

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          throw new Error(data.error || "The server refused the security key.");
        }
        return data;
      });
    });
  }

  function start(button) {
    var mode = button.getAttribute("data-security-key");
    var status = document.getElementById(button.getAttribute("data-status"));
    var nameField = document.getElementById("id_key_name");
    var next = button.getAttribute("data-next") || "";
    if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
      status.textContent = "This browser cannot use security keys.";
      return;
    }
    status.textContent = "Follow your browser's instructions to use your security key.";
    post(button.getAttribute("data-begin"))
      .then(function (options) {
        if (mode === "register") {
          return navigator.credentials.create({
            publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey),
          });
        }
        return navigator.credentials.get({
          publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey),
        });
      })
      .then(function (credential) {
        return post(button.getAttribute("data-finish"), {
          credential: credential.toJSON(),
          name: nameField ? nameField.value : "",
          next: next,
        });
      })
      .then(function (done) {
        window.location.assign(done.redirect);
      })
      .catch(function (error) {
        status.textContent = error && error.message ? error.message : String(error);
      });
  }

  document.querySelectorAll("[data-security-key]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      start(button);
    });
  });
})();

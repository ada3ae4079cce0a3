// civicauth's only script: passkeys and security keys (WebAuthn).
// A form marked data-webauthn="create" registers a key when submitted; a
// button marked data-webauthn-get asks a key to sign in (or to prove itself)
// and submits its form. Options come from the form's data-options (JSON made
// by the server); the key's answer goes back in the hidden "credential" field.
"use strict";
(function () {
  if (!window.PublicKeyCredential) return;

  function toBuffer(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  }

  function toText(buffer) {
    let binary = "";
    new Uint8Array(buffer).forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map((c) => Object.assign({}, c, { id: toBuffer(c.id) }));
  }

  function creationOptions(o) {
    return Object.assign({}, o, {
      challenge: toBuffer(o.challenge),
      user: Object.assign({}, o.user, { id: toBuffer(o.user.id) }),
      excludeCredentials: withIds(o.excludeCredentials),
    });
  }

  function requestOptions(o) {
    return Object.assign({}, o, {
      challenge: toBuffer(o.challenge),
      allowCredentials: withIds(o.allowCredentials),
    });
  }

  function answer(credential) {
    const r = credential.response;
    const response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    }
    if (r.authenticatorData) {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) response.userHandle = toText(r.userHandle);
    }
    const result = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
    if (credential.authenticatorAttachment) {
      result.authenticatorAttachment = credential.authenticatorAttachment;
    }
    return JSON.stringify(result);
  }

  function say(form, message) {
    const status = form.querySelector("[data-webauthn-status]");
    if (status) status.textContent = message;
  }

  async function run(form, ask) {
    const options = JSON.parse(form.dataset.options);
    try {
      const credential = await ask(options);
      form.querySelector("input[name=credential]").value = answer(credential);
      form.submit();
    } catch (error) {
      say(form, "The key did not answer (" + error.name + "). Try again.");
    }
  }

  document.querySelectorAll("form[data-webauthn=create]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      run(form, (o) => navigator.credentials.create({ publicKey: creationOptions(o) }));
    });
  });

  document.querySelectorAll("[data-webauthn-get]").forEach((button) => {
    const form = button.closest("form");
    button.hidden = false;
    button.addEventListener("click", () => {
      run(form, (o) => navigator.credentials.get({ publicKey: requestOptions(o) }));
    });
  });

  document.querySelectorAll("[data-webauthn-only]").forEach((element) => {
    element.hidden = false;
  });
})();

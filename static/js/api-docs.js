// Starts Swagger UI on the board's OpenAPI document (a file, not an inline script: the
// board's CSP is script-src 'self'). "Try it out" sends the session cookie, and the
// CSRF token the board asks for on unsafe methods.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var safe = { GET: true, HEAD: true, OPTIONS: true };
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    // A deep link puts an <a> inside each operation's toggle button: nested interactive
    // controls, which screen readers cannot reach (axe-core nested-interactive, serious).
    deepLinking: false,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    // Air-gapped: never call the online validator.
    validatorUrl: null,
    tryItOutEnabled: false,
    requestInterceptor: function (request) {
      request.credentials = "same-origin";
      if (!safe[(request.method || "GET").toUpperCase()]) {
        request.headers["X-CSRF-Token"] = csrf;
      }
      return request;
    }
  });
})();

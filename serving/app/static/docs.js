// the API docs page: Swagger UI over this server's /openapi.json, nothing fetched from elsewhere
// (validatorUrl null: Swagger UI would otherwise ask a public validator about the schema)
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});

// Start the NHS.UK frontend's components. A static file, not an inline script, so that the
// content security policy needs no 'unsafe-inline' for scripts (docs/security.md). The
// frontend's module path comes from this script tag's data-frontend attribute.
const frontend = document.querySelector("script[data-frontend]").dataset.frontend;
import(frontend).then((module) => module.initAll());

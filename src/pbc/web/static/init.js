// Start the NHS.UK frontend's components. A static file, not an inline script, so that the
// content security policy needs no 'unsafe-inline' (docs/security.md). The frontend's module
// comes from this script tag's data-frontend attribute (its file name carries its version).
const frontend = document.querySelector("script[data-frontend]").dataset.frontend;
import(frontend).then((module) => module.initAll());

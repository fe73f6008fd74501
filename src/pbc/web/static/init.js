// Start the NHS.UK frontend's components. A static file, not an inline script, so that the
// content security policy needs no 'unsafe-inline' (docs/security.md). The frontend's module
// comes from this script tag's data-frontend attribute (its file name carries its version).
const frontend = document.querySelector("script[data-frontend]").dataset.frontend;
import(frontend).then((module) => module.initAll());

// A table's box that scrolls sideways (`.pbc-table-scroll`: the table is wider than the
// screen) is a focusable, named region, so that a keyboard user can scroll it; a box that
// fits is left as it is, and is no extra stop for the Tab key.
function markScrollingTables() {
  document.querySelectorAll(".pbc-table-scroll").forEach((box) => {
    if (box.scrollWidth > box.clientWidth + 1) {
      const table = box.querySelector("table");
      const caption = table && table.querySelector("caption");
      const heading = box.previousElementSibling && /^H[2-4]$/.test(box.previousElementSibling.tagName)
        ? box.previousElementSibling : null;
      const name = (caption || heading || {}).textContent;
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", ((name || "Table").trim()) + " (scrolls sideways)");
    } else if (box.getAttribute("role") === "region") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  });
}
markScrollingTables();
window.addEventListener("resize", markScrollingTables);

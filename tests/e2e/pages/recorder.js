// Test-page helper: records what the extension does to fields and whether a form was submitted.
window.events = [];
window.submitted = false;
document.addEventListener("submit", (e) => { e.preventDefault(); window.submitted = true; }, true);
for (const type of ["keydown", "input", "keyup", "change"]) {
  document.addEventListener(type, (e) => window.events.push(`${type}:${e.target.id}`), true);
}

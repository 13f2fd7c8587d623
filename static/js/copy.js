// "Copy link" buttons: <button data-copy="id-of-an-input">. A static file, as the Content-Security-Policy refuses
// inline scripts; without the clipboard API (plain http) the input's text is selected for Ctrl-C instead.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  source.select();
  const done = () => { button.textContent = "Copied"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(source.value).then(done, () => {});
  } else {
    try { if (document.execCommand("copy")) done(); } catch (e) { /* the text stays selected */ }
  }
});

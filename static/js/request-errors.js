// A button that sends its request with htmx (Track, Untrack, Import now, a bulk action) swaps in the server's answer.
// When the server answers an error or does not answer, htmx swaps nothing, so a change that did not happen looked
// as if the click had been ignored. Say so, once, where the page's messages go.
(() => {
  const say = (text) => {
    const main = document.querySelector("main");
    if (!main) return;
    let item = document.getElementById("request-error");
    if (!item) {
      let list = main.querySelector("ul.messages");
      if (!list) {
        list = document.createElement("ul");
        list.className = "messages";
        main.prepend(list);
      }
      item = document.createElement("li");
      item.id = "request-error";
      item.className = "message error";
      item.setAttribute("role", "alert");
      list.append(item);
    }
    item.textContent = text;
  };
  document.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr.status;
    say(`That did not go through: the server answered ${status}. Reload the page to see what was saved, then try again.`);
  });
  document.addEventListener("htmx:sendError", () => {
    say("That did not go through: the server could not be reached. Reload the page to see what was saved, then try again.");
  });
})();

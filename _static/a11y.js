// Issue 20: a formula too wide for the screen scrolls sideways inside its own box, and a
// scrollable region must be reachable with the keyboard (WCAG 2.1.1; axe's
// scrollable-region-focusable). The same holds for a wide table. Once the page has loaded and
// MathJax has typeset it, and whenever the window changes size, every display formula or table
// that overflows becomes a Tab stop, and only those.
(function () {
  function update() {
    document.querySelectorAll('mjx-container[display="true"], .bd-article table').forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) {
        el.setAttribute("tabindex", "0");
      } else if (el.getAttribute("tabindex") === "0") {
        el.removeAttribute("tabindex");
      }
    });
  }
  function afterMath() {
    var ready = window.MathJax && MathJax.startup && MathJax.startup.promise;
    (ready || Promise.resolve()).then(update);
  }
  // widths change as images, fonts and MathJax arrive: check again at each of those moments
  document.addEventListener("DOMContentLoaded", update);
  window.addEventListener("load", afterMath);
  window.addEventListener("resize", update);
})();

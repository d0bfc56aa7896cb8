// Behaviour that pages declare with data- attributes, so that no template needs an inline handler
// (the Content-Security-Policy allows no inline script without a nonce, and no on* attributes at all).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // On a phone the navigation is folded behind a Menu button (CSS hides it only once this script runs).
  document.querySelectorAll("[data-menu-toggle]").forEach(function (toggle) {
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!menu) { return; }
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // A colour from the database, set through the CSSOM (allowed by the policy) rather than a style attribute.
  document.querySelectorAll("[data-border-colour]").forEach(function (element) {
    element.style.borderTop = "6px solid " + element.dataset.borderColour;
  });

  // Copy buttons: data-copy names the element (an input, or any element's text) whose value is copied.
  // The button says "Copied" for a moment; a live region tells a screen reader.
  var announcer = null;
  function announce(text) {
    if (!announcer) {
      announcer = document.createElement("p");
      announcer.className = "visually-hidden";
      announcer.setAttribute("aria-live", "polite");
      document.body.appendChild(announcer);
    }
    announcer.textContent = text;
  }
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) { return navigator.clipboard.writeText(text); }
    return new Promise(function (resolve, reject) {  // plain http (the embedded demo): the older way
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var label = button.textContent;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copy);
      if (!source) { return; }
      var text = "value" in source ? source.value : source.textContent.trim();
      copyText(text).then(function () {
        button.textContent = "Copied";
        announce("Copied to the clipboard");
      }, function () {
        if (source.select) { source.select(); }
        button.textContent = "Press Ctrl+C";
        announce("Select and copy it yourself: the browser refused");
      });
      setTimeout(function () { button.textContent = label; }, 2500);
    });
  });

  // The badge form's image: designed here, uploaded, or (editing) kept; only the chosen pane shows.
  document.querySelectorAll("[data-image-source]").forEach(function (chooser) {
    var radios = chooser.querySelectorAll("input[name=image_source]");
    function show() {
      var chosen = chooser.querySelector("input[name=image_source]:checked");
      chooser.querySelectorAll("[data-source-pane]").forEach(function (pane) {
        pane.hidden = !chosen || pane.dataset.sourcePane !== chosen.value;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", show); });
    var file = chooser.querySelector("input[type=file]");
    if (file) {  // choosing a file means uploading it
      file.addEventListener("change", function () {
        var upload = chooser.querySelector("input[name=image_source][value=upload]");
        if (upload && file.files && file.files.length) { upload.checked = true; show(); }
      });
    }
    show();
  });
  // The badge designer: every change redraws the preview, which our server draws from the choices.
  document.querySelectorAll("[data-designer]").forEach(function (box) {
    var img = box.querySelector("[data-designer-preview]");
    var note = document.getElementById("design-preview-note");
    var timer = null;
    function refresh() {
      var params = new URLSearchParams();
      box.querySelectorAll("[data-design]").forEach(function (input) {
        if (input.type === "radio" && !input.checked) { return; }
        params.set(input.dataset.design, input.value);
      });
      var url = box.dataset.designer + "?" + params.toString();
      fetch(url, {credentials: "same-origin"}).then(function (r) {
        if (r.ok) {
          img.src = url;
          if (note) { note.textContent = "This is the image that will be saved (SVG, with a PNG copy)."; }
        } else {
          r.text().then(function (text) { if (note) { note.textContent = text; } });
        }
      });
    }
    box.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 200); });
    box.addEventListener("change", function () { clearTimeout(timer); refresh(); });
  });

  function poll(url, show, wait) {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) { if (show(data)) { setTimeout(function () { poll(url, show, wait); }, wait); } })
      .catch(function () { setTimeout(function () { poll(url, show, wait); }, 5000); });
  }
  function setText(id, value) {
    var element = document.getElementById(id);
    if (element) { element.textContent = value; }
  }

  // An award's page follows its pipeline (recorded, baked, emailed, claimed) until nothing more happens.
  var steps = document.getElementById("steps");
  if (steps && steps.dataset.final !== "true") {
    setTimeout(function () {
      poll(steps.dataset.statusUrl, function (data) {
        data.steps.forEach(function (step) {
          var item = steps.querySelector('[data-key="' + step.key + '"]');
          if (!item) { return; }
          item.className = "step " + step.state;
          item.querySelector(".step-label").textContent = step.label;
          item.querySelector(".step-state").textContent = "(" + step.state + ")";
        });
        setText("email-error", data.email_error);
        var problem = document.getElementById("email-problem");
        if (problem) { problem.hidden = !data.email_error; }
        var resend = document.getElementById("resend-form");
        if (resend) { resend.hidden = !data.can_resend; }
        if (data.final) {
          steps.dataset.final = "true";
          setText("status-live", data.steps.map(function (s) { return s.label; }).join(", "));
        }
        return !data.final;
      }, 2000);
    }, 2000);
  }

  // A cohort job's page: the awards recorded, then the learners' emails going out.
  var job = document.getElementById("job");
  if (job && (job.dataset.final !== "true" || job.dataset.emailsFinal !== "true")) {
    var wasFinal = job.dataset.final === "true";
    setTimeout(function () {
      poll(job.dataset.statusUrl, function (d) {
        var bar = document.getElementById("job-progress");
        bar.value = d.percent;
        bar.textContent = d.percent + "%";
        setText("job-percent", d.percent);
        setText("job-status", d.status_label);
        setText("job-total", d.total);
        setText("job-issued", d.issued);
        setText("job-failed", d.failed);
        setText("job-emails-sent", d.emails_sent);
        setText("job-emails-waiting", d.emails_waiting);
        setText("job-emails-failed", d.emails_failed);
        var failedBox = document.getElementById("job-emails-failed-box");
        if (failedBox) { failedBox.classList.toggle("attention", d.emails_failed > 0); }
        if (d.final && !wasFinal) { window.location.reload(); return false; }  // the summary and the problems
        return !d.emails_final;
      }, 2000);
    }, 1000);
  }
})();

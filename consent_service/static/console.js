/* The admin console's only script: the banner preview follows the text fields as they are typed, and textareas
   grow with their text where the browser cannot size them by CSS (field-sizing). */
(function () {
  'use strict';
  var DELAY_MS = 300;

  function previewUrl(form) {
    var query = new URLSearchParams();
    query.set('language', form.elements.language.value);
    // Only what was changed travels (the rest is the saved text), so the URL stays short.
    form.querySelectorAll('[data-preview-field]').forEach(function (field) {
      if (field.value !== field.defaultValue) query.set(field.name, field.value);
    });
    return form.dataset.previewUrl + '?' + query.toString();
  }

  function follow(form) {
    var frame = document.getElementById(form.dataset.previewTarget);
    var timer = null;
    form.addEventListener('input', function (event) {
      if (!event.target.hasAttribute('data-preview-field')) return;
      clearTimeout(timer);
      timer = setTimeout(function () {
        frame.src = previewUrl(form);
      }, DELAY_MS);
    });
  }

  function fitText(area) {
    area.style.height = 'auto';
    area.style.height = area.scrollHeight + (area.offsetHeight - area.clientHeight) + 'px';
  }

  document.querySelectorAll('form[data-preview-url]').forEach(follow);
  if (!(window.CSS && CSS.supports('field-sizing', 'content'))) {
    document.querySelectorAll('.field textarea').forEach(function (area) {
      fitText(area);
      area.addEventListener('input', function () { fitText(area); });
    });
  }
})();

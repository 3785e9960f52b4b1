/* The admin console's only script: the banner preview follows the text fields as they are typed. */
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

  document.querySelectorAll('form[data-preview-url]').forEach(follow);
})();

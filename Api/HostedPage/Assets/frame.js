// The hosted page in iframe mode: tells the window that framed it what happened. Loaded only on
// pages of a business that allows framing; does nothing when the page is not framed. Messages go
// only to the origins the business allowed (never '*'): the browser delivers a message only when
// the parent's origin is the target origin given, so a page framed elsewhere learns nothing.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.parent === window) {
    return;
  }

  var allowed = (script.getAttribute('data-frame-origins') || '').split(' ').filter(Boolean);
  var targets = allowed;
  // Where the browser says who the parent is (Chromium, Safari), post to that origin alone.
  if (window.location.ancestorOrigins && window.location.ancestorOrigins.length > 0) {
    var parentOrigin = window.location.ancestorOrigins[0];
    targets = allowed.indexOf(parentOrigin) >= 0 ? [parentOrigin] : [];
  }

  function post(message) {
    targets.forEach(function (origin) {
      try {
        window.parent.postMessage(message, origin);
      } catch (e) {
        // A parent that is not at this origin: the message is not for it.
      }
    });
  }

  var close = document.getElementById('frame-close');
  if (close) {
    close.hidden = false;
    close.addEventListener('click', function () {
      post({ type: 'payviox:close' });
    });
  }

  var redirect = script.getAttribute('data-redirect');
  if (redirect) {
    post({ type: 'payviox:redirect', redirect: redirect });
  }
}());

/*
 * PaySessions drop-in browser SDK, compatible with Payviox's documented `Payviox` class.
 * Load it with <script src="https://<this service>/sdk/payviox.js"></script>; it talks to the
 * origin it was loaded from unless `baseUrl` says otherwise.
 *
 *   const payviox = new Payviox('pk_test_…', { baseUrl: 'https://pay.example' });
 *   const id = await payviox.createSession(params);            // resolves to the session id
 *   await payviox.createSession(params, { redirect: true });   // goes to the provider or /pay/{id}
 *   payviox.openSession(id);                                   // goes to /pay/{id}
 *   payviox.openIframe(id, { iframeTarget, width, height, withoutBorder, transparentBackground, style });
 *   const methods = await payviox.getPaymentsMethods({ countries: ['FR'], currencies: 'EUR' });
 *
 * Errors reject with an Error whose message is the server's `error` text; `status` is the HTTP
 * status and `body` the server's parsed error body.
 */
(function (global) {
  'use strict';

  // Read while the script runs: document.currentScript is null afterwards.
  var loadedFrom = (function () {
    try {
      var current = global.document && global.document.currentScript;
      if (current && current.src) {
        return new URL(current.src, global.location.href).origin;
      }
    } catch (e) {
      // Fall through to the page's own origin.
    }
    return global.location ? global.location.origin : '';
  }());

  function trimSlash(url) {
    return String(url).replace(/\/+$/, '');
  }

  function list(value) {
    if (value === undefined || value === null) {
      return null;
    }
    return Array.isArray(value) ? value.join(',') : String(value);
  }

  function failure(status, body, text) {
    var message = body && typeof body === 'object' && typeof body.error === 'string'
      ? body.error
      : (text || ('HTTP ' + status));
    var error = new Error(message);
    error.status = status;
    error.body = body !== undefined ? body : text;
    return error;
  }

  function Payviox(publicKey, options) {
    if (!(this instanceof Payviox)) {
      throw new TypeError("Payviox is a class: use 'new Payviox(publicKey)'.");
    }
    if (typeof publicKey !== 'string' || publicKey.length === 0) {
      throw new TypeError('Payviox needs the business\'s public key (pk_test_… or pk_live_…).');
    }
    options = options || {};
    this.publicKey = publicKey;
    this.baseUrl = trimSlash(options.baseUrl || loadedFrom);
    this.iframeConfig = options.iframeConfig || (options.parameters && options.parameters.iframeConfig) || null;
  }

  Payviox.prototype._request = function (method, path, body) {
    var init = {
      method: method,
      headers: { Authorization: 'Bearer ' + this.publicKey, Accept: 'application/json' },
      credentials: 'omit',
      mode: 'cors'
    };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return global.fetch(this.baseUrl + path, init).then(function (response) {
      return response.text().then(function (text) {
        var parsed;
        try {
          parsed = text.length > 0 ? JSON.parse(text) : undefined;
        } catch (e) {
          parsed = undefined;
        }
        if (!response.ok) {
          throw failure(response.status, parsed, text);
        }
        return parsed;
      });
    });
  };

  Payviox.prototype.pageUrl = function (sessionId) {
    return this.baseUrl + '/pay/' + encodeURIComponent(sessionId);
  };

  // Creates a session with the public key (the customer's IP is captured by the service). With
  // { redirect: true } the browser goes to the provider when the session answered with a direct
  // redirect (paymentMethodId), or to the hosted page; with { iframeMode: true, iframeConfig }
  // the same address opens in an iframe. Resolves to the session id in every case.
  Payviox.prototype.createSession = function (params, parameters) {
    var self = this;
    parameters = parameters || {};
    if (parameters.redirect && parameters.iframeMode) {
      return Promise.reject(new TypeError('Use either redirect or iframeMode, not both.'));
    }
    return this._request('POST', '/session', params || {}).then(function (answer) {
      var sessionId = answer && answer.session_id;
      var target = answer && answer.redirect_url ? answer.redirect_url : self.pageUrl(sessionId);
      if (parameters.redirect) {
        global.location.assign(target);
      } else if (parameters.iframeMode) {
        self._frame(target, parameters.iframeConfig || self.iframeConfig);
      }
      return sessionId;
    });
  };

  Payviox.prototype.openSession = function (sessionId) {
    global.location.assign(this.pageUrl(sessionId));
  };

  Payviox.prototype.openIframe = function (sessionId, iframeConfig) {
    return this._frame(this.pageUrl(sessionId), iframeConfig || this.iframeConfig);
  };

  Payviox.prototype._frame = function (src, config) {
    if (!config || !config.iframeTarget || typeof config.iframeTarget.appendChild !== 'function') {
      throw new TypeError('iframeConfig.iframeTarget must be the element to put the payment frame in.');
    }
    var frame = global.document.createElement('iframe');
    frame.src = src;
    frame.title = config.title || 'Payment';
    frame.allow = 'payment';
    frame.setAttribute('allowtransparency', config.transparentBackground ? 'true' : 'false');
    var css = 'width:' + (config.width || '100%') + ';height:' + (config.height || '400px') + ';';
    if (config.withoutBorder) {
      css += 'border:0;';
    }
    if (config.transparentBackground) {
      css += 'background:transparent;';
    }
    frame.style.cssText = css + (config.style || '');
    config.iframeTarget.appendChild(frame);
    return frame;
  };

  // GET /payments/methods with the public key. Filters: countries and currencies (a string or an
  // array), is_company (boolean). The service answers an object keyed by method id; this resolves
  // to the documented array of { id, name, … } in the service's order.
  Payviox.prototype.getPaymentsMethods = function (filters) {
    filters = filters || {};
    var query = [];
    var countries = list(filters.countries);
    var currencies = list(filters.currencies);
    if (countries) {
      query.push('countries=' + encodeURIComponent(countries));
    }
    if (currencies) {
      query.push('currencies=' + encodeURIComponent(currencies));
    }
    if (filters.is_company !== undefined || filters.isCompany !== undefined) {
      query.push('is_company=' + (filters.is_company !== undefined ? !!filters.is_company : !!filters.isCompany));
    }
    var path = '/payments/methods' + (query.length > 0 ? '?' + query.join('&') : '');
    return this._request('GET', path).then(function (answer) {
      if (Array.isArray(answer) || !answer || typeof answer !== 'object') {
        return answer || [];
      }
      return Object.keys(answer).map(function (id) {
        return Object.assign({ id: id }, answer[id]);
      });
    });
  };

  global.Payviox = Payviox;
}(typeof window !== 'undefined' ? window : this));

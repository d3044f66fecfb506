// The dashboard's only way to the data: the public GraphQL API on this origin, with persisted queries
// (Apollo's protocol). A query is first sent as its SHA-256 alone, over GET; when the server does not know
// it yet (PERSISTED_QUERY_NOT_FOUND) it is sent once with its text, over POST, which registers it. Under
// an allow-list (`--persisted-queries`) the hash alone runs when the list holds the dashboard's queries.
// The hashes and texts come from the manifest the page carries, so no hashing happens in the browser.
(function () {
  'use strict';

  var ENDPOINT = '/graphql';
  // The key lives in sessionStorage: typed once, kept while the tab (or its session) lives.
  var KEY_ITEM = 'customer-insights.apiKey';

  var manifest = JSON.parse(document.getElementById('persisted-queries').textContent);
  var operations = {};
  manifest.operations.forEach(function (operation) {
    operations[operation.name] = operation;
  });

  /** An answer's GraphQL errors, thrown as one error that keeps their codes. */
  function GraphqlError(errors) {
    this.name = 'GraphqlError';
    this.errors = errors;
    this.codes = errors.map(function (e) { return (e.extensions && e.extensions.code) || 'ERROR'; });
    this.message = errors.map(function (e) { return e.message; }).join('; ');
  }
  GraphqlError.prototype = Object.create(Error.prototype);

  function headers() {
    // application/json: request errors such as PERSISTED_QUERY_NOT_FOUND come back as 200 with errors.
    var result = { Accept: 'application/json' };
    var key = sessionStorage.getItem(KEY_ITEM);
    if (key) result.Authorization = 'Bearer ' + key;
    return result;
  }

  function answer(response) {
    return response.json().then(function (body) {
      if (body.errors && body.errors.length) throw new GraphqlError(body.errors);
      return body.data;
    });
  }

  function byHash(operation, variables) {
    var extensions = { persistedQuery: { version: 1, sha256Hash: operation.id } };
    var url = ENDPOINT + '?operationName=' + encodeURIComponent(operation.name) +
      '&variables=' + encodeURIComponent(JSON.stringify(variables)) +
      '&extensions=' + encodeURIComponent(JSON.stringify(extensions));
    return fetch(url, { headers: headers() }).then(answer);
  }

  function withText(operation, variables) {
    var body = {
      query: operation.body,
      operationName: operation.name,
      variables: variables,
      extensions: { persistedQuery: { version: 1, sha256Hash: operation.id } }
    };
    var requestHeaders = headers();
    requestHeaders['Content-Type'] = 'application/json';
    return fetch(ENDPOINT, { method: 'POST', headers: requestHeaders, body: JSON.stringify(body) }).then(answer);
  }

  /** Runs the dashboard operation `name` with `variables`; resolves to its `data`. */
  function run(name, variables) {
    var operation = operations[name];
    return byHash(operation, variables).catch(function (error) {
      if (error instanceof GraphqlError && error.codes.indexOf('PERSISTED_QUERY_NOT_FOUND') >= 0) {
        return withText(operation, variables);
      }
      throw error;
    });
  }

  window.InsightsApi = {
    run: run,
    GraphqlError: GraphqlError,
    hasKey: function () { return !!sessionStorage.getItem(KEY_ITEM); },
    setKey: function (key) { sessionStorage.setItem(KEY_ITEM, key); },
    forgetKey: function () { sessionStorage.removeItem(KEY_ITEM); }
  };
})();

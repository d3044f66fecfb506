// Starts GraphiQL on the page served at `/`, with the endpoints the page names (`data-endpoint` for queries
// and mutations, `data-subscription-endpoint` for subscriptions over graphql-transport-ws), both on the
// page's own origin. The headers typed into the headers editor (e.g. {"Authorization": "Bearer ..."}) go
// with every HTTP request and, since browsers cannot set headers on a WebSocket, in the socket's
// connection_init payload, where the server reads the key too. The logo corner links to the insights
// dashboard (`data-dashboard`). A file rather than an inline script, so
// the page's Content-Security-Policy can refuse inline scripts.
(function () {
  'use strict';
  var root = document.getElementById('graphiql');
  var http = new URL(root.dataset.endpoint, window.location.href);
  var socket = new URL(root.dataset.subscriptionEndpoint, window.location.href);
  socket.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({ url: http.toString(), subscriptionUrl: socket.toString() });
  var logo = React.createElement(GraphiQL.Logo, null, 'GraphiQL · ',
    React.createElement('a', { href: root.dataset.dashboard, className: 'dashboard-link' }, 'Dashboard'));
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }, logo)
  );
})();

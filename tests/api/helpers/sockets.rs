//! GraphQL over WebSocket (graphql-transport-ws) to a server at any address.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Response;
use tokio_tungstenite::tungstenite::{Error, Message};

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Asks the server at `address` (`http://HOST:PORT`) for a graphql-transport-ws connection, as a page
/// from `origin` when given; the handshake's outcome, refusals included.
pub async fn connect_socket(address: &str, origin: Option<&str>) -> Result<(Socket, Response), Error> {
    let mut request = format!("{}/graphql/ws", address.replacen("http", "ws", 1)).into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    if let Some(origin) = origin {
        request.headers_mut().insert("Origin", origin.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request).await
}

/// Connects and sends `connection_init`, with `key` as the `Authorization` payload when given. Returns
/// the socket and the server's first message; a close frame comes back as `{ "closed": CODE, "reason": … }`.
pub async fn open_socket(address: &str, key: Option<&str>) -> (Socket, Option<Value>) {
    let (mut socket, response) = connect_socket(address, None).await.expect("connect");
    assert_eq!(response.headers()["sec-websocket-protocol"], "graphql-transport-ws");
    let payload = key.map_or_else(|| json!({}), |key| json!({ "Authorization": format!("Bearer {key}") }));
    send_json(&mut socket, &json!({ "type": "connection_init", "payload": payload })).await;
    let reply = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("a reply");
    let reply = match reply {
        Some(Ok(Message::Text(text))) => serde_json::from_str(&text).ok(),
        Some(Ok(Message::Close(Some(frame)))) => {
            Some(json!({ "closed": u16::from(frame.code), "reason": frame.reason.to_string() }))
        }
        _ => None,
    };
    (socket, reply)
}

/// `open_socket` that the server acknowledged.
pub async fn acknowledged_socket(address: &str, key: Option<&str>) -> Socket {
    let (socket, reply) = open_socket(address, key).await;
    let reply = reply.expect("a reply to connection_init");
    assert_eq!(reply["type"], "connection_ack", "{reply}");
    socket
}

/// Opens a subscription and returns once the server has acknowledged the connection.
pub async fn subscribe(address: &str, query: &str) -> Socket {
    let mut socket = acknowledged_socket(address, None).await;
    send_json(&mut socket, &json!({ "id": "1", "type": "subscribe", "payload": { "query": query } })).await;
    // The subscription starts listening right after the message is read; give it that moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    socket
}

/// Sends one message.
pub async fn send_json(socket: &mut Socket, message: &Value) {
    socket.send(Message::Text(message.to_string().into())).await.expect("send a message");
}

/// The next message, skipping pings; fails after 10 s.
pub async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message =
            tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("a message within 10 s");
        match message.expect("an open socket").expect("a frame") {
            Message::Text(text) => return serde_json::from_str(&text).expect("JSON"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

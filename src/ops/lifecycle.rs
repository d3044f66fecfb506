//! Stopping cleanly: a signal every long-lived task can wait for, and a count of the WebSocket
//! connections still closing (axum's graceful shutdown waits for HTTP requests, not for upgraded
//! connections).

use tokio::sync::{mpsc, watch};

#[derive(Clone)]
pub struct Lifecycle {
    stopping: watch::Receiver<bool>,
    connections: mpsc::Sender<()>,
}

/// The side that starts the shutdown (`stop.send(true)`) and waits for the connections: `connections`
/// closes when every `Lifecycle` handle and every `hold` guard is gone.
pub struct LifecycleControl {
    pub stop: watch::Sender<bool>,
    pub connections: mpsc::Receiver<()>,
}

impl Lifecycle {
    pub fn new() -> (Lifecycle, LifecycleControl) {
        let (stop, stopping) = watch::channel(false);
        // Nothing is ever sent: the channel closes when the last connection's sender is dropped.
        let (sender, connections) = mpsc::channel(1);
        (Lifecycle { stopping, connections: sender }, LifecycleControl { stop, connections })
    }

    pub fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// Completes when the server starts stopping.
    pub async fn stopping(&self) {
        let mut stopping = self.stopping.clone();
        // An error means the control side is gone, which also means stopping.
        let _ = stopping.wait_for(|stopping| *stopping).await;
    }

    /// Counts a long-lived connection until the returned guard is dropped.
    pub fn hold(&self) -> mpsc::Sender<()> {
        self.connections.clone()
    }
}

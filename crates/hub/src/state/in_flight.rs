//! The commands the hub is running, so a stopping hub lets them finish before it closes its
//! browsers and sockets: each dispatch holds a [`Running`] guard while it runs, and
//! [`InFlight::drained`] waits until none is left.

use tokio::sync::watch;

/// How many commands are running.
pub(crate) struct InFlight(watch::Sender<usize>);

impl Default for InFlight {
    fn default() -> Self {
        InFlight(watch::channel(0).0)
    }
}

/// One running command; it counts until dropped.
pub(crate) struct Running<'a>(&'a InFlight);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0 .0.send_modify(|n| *n -= 1);
    }
}

impl InFlight {
    /// A command starts.
    pub(crate) fn begin(&self) -> Running<'_> {
        self.0.send_modify(|n| *n += 1);
        Running(self)
    }

    /// How many are running now.
    pub(crate) fn count(&self) -> usize {
        *self.0.borrow()
    }

    /// Waits until no command is running.
    pub(crate) async fn drained(&self) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn drained_waits_for_the_last_running_command() {
        let in_flight = std::sync::Arc::new(InFlight::default());
        let held = in_flight.clone();
        let command = tokio::spawn(async move {
            let _running = held.begin();
            tokio::time::sleep(Duration::from_secs(3)).await;
        });
        tokio::task::yield_now().await;
        assert_eq!(in_flight.count(), 1);
        let started = tokio::time::Instant::now();
        in_flight.drained().await;
        assert_eq!(started.elapsed(), Duration::from_secs(3), "drained when the command ended");
        command.await.unwrap();
        assert_eq!(in_flight.count(), 0);
    }
}

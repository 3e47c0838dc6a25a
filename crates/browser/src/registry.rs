//! Every open browser session, by id.

use crate::session::{BrowserSession, Mode};
use opendevbrowser_api::Owner;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Every open browser session.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Arc<BrowserSession>>>,
}

impl Sessions {
    /// Registers a session.
    pub fn insert(&self, session: Arc<BrowserSession>) {
        self.map.lock().expect("sessions lock").insert(session.id.clone(), session);
    }

    /// Looks a session up.
    pub fn get(&self, id: &str) -> Option<Arc<BrowserSession>> {
        self.map.lock().expect("sessions lock").get(id).cloned()
    }

    /// Removes a session (dropping it closes a managed browser).
    pub fn remove(&self, id: &str) -> Option<Arc<BrowserSession>> {
        self.map.lock().expect("sessions lock").remove(id)
    }

    /// Every open session.
    pub fn all(&self) -> Vec<Arc<BrowserSession>> {
        self.map.lock().expect("sessions lock").values().cloned().collect()
    }

    /// Takes out every session `owner` created (its process went away); they close when
    /// the last handle is dropped.
    pub fn take_owned_by(&self, owner: &Owner) -> Vec<Arc<BrowserSession>> {
        let mut map = self.map.lock().expect("sessions lock");
        let ids: Vec<String> = map.iter().filter(|(_, s)| s.owner == *owner).map(|(id, _)| id.clone()).collect();
        ids.iter().filter_map(|id| map.remove(id)).collect()
    }

    /// Closes every session (hub shutdown).
    pub fn clear(&self) {
        self.map.lock().expect("sessions lock").clear();
    }

    /// Whether any session drives the user's Chrome through the extension.
    pub fn has_extension_sessions(&self) -> bool {
        self.map.lock().expect("sessions lock").values().any(|s| s.mode == Mode::Extension)
    }

    /// How many sessions are open.
    pub fn len(&self) -> usize {
        self.map.lock().expect("sessions lock").len()
    }

    /// True when none is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

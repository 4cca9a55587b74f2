//! Conversations held in memory between turns: a time to live after the last turn and a
//! maximum count (the least recently used goes first).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tolka::Conversation;

/// One conversation; its lock is held for a whole turn, so turns of one conversation run
/// one after the other.
pub type Shared = Arc<tokio::sync::Mutex<Conversation>>;

struct Entry {
    conversation: Shared,
    last_used: Instant,
}

/// The conversation store.
pub struct Store {
    entries: Mutex<HashMap<String, Entry>>,
    ttl: Duration,
    max: usize,
}

impl Store {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Store {
            entries: Mutex::new(HashMap::new()),
            ttl,
            max: max.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave the map inconsistent (every update is
        // one insert or remove), so a poisoned lock is still usable.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The live conversation `id`, if any (touching it).
    pub fn get(&self, id: &str) -> Option<Shared> {
        let mut entries = self.lock();
        let now = Instant::now();
        match entries.get_mut(id) {
            Some(entry) if now.duration_since(entry.last_used) < self.ttl => {
                entry.last_used = now;
                Some(entry.conversation.clone())
            }
            Some(_) => {
                entries.remove(id);
                None
            }
            None => None,
        }
    }

    /// The live conversation `id`, or a new one made by `create`; the least recently used
    /// conversation goes when the store is full.
    pub fn get_or_create(&self, id: &str, create: impl FnOnce() -> Conversation) -> Shared {
        if let Some(shared) = self.get(id) {
            return shared;
        }
        let mut entries = self.lock();
        if entries.len() >= self.max {
            self.sweep_locked(&mut entries);
        }
        if entries.len() >= self.max
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        let shared = Arc::new(tokio::sync::Mutex::new(create()));
        entries.insert(
            id.to_owned(),
            Entry {
                conversation: shared.clone(),
                last_used: Instant::now(),
            },
        );
        shared
    }

    /// Forgets conversation `id`; false when there was none.
    pub fn remove(&self, id: &str) -> bool {
        let mut entries = self.lock();
        let now = Instant::now();
        entries
            .remove(id)
            .is_some_and(|e| now.duration_since(e.last_used) < self.ttl)
    }

    /// Drops the expired conversations; returns how many are left.
    pub fn sweep(&self) -> usize {
        let mut entries = self.lock();
        self.sweep_locked(&mut entries);
        entries.len()
    }

    fn sweep_locked(&self, entries: &mut HashMap<String, Entry>) {
        let now = Instant::now();
        entries.retain(|_, e| now.duration_since(e.last_used) < self.ttl);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_recently_used_goes_when_full() {
        let store = Store::new(Duration::from_secs(60), 2);
        store.get_or_create("a", Conversation::new);
        store.get_or_create("b", Conversation::new);
        assert!(store.get("a").is_some()); // a is now more recent than b
        store.get_or_create("c", Conversation::new);
        assert_eq!(store.len(), 2);
        assert!(store.get("b").is_none());
        assert!(store.get("a").is_some() && store.get("c").is_some());
    }

    #[test]
    fn conversations_expire() {
        let store = Store::new(Duration::from_millis(20), 10);
        store.get_or_create("a", Conversation::new);
        std::thread::sleep(Duration::from_millis(40));
        assert!(store.get("a").is_none());
        assert!(!store.remove("a"));
        store.get_or_create("b", Conversation::new);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(store.sweep(), 0);
    }
}

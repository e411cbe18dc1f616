//! The audit log's tamper evidence: each case's events form a hash chain. An event's hash is the
//! SHA-256 of its predecessor's hash and of its own content, so editing, inserting or removing
//! an event breaks the chain from that point on, and [`verify_chain`] names the first broken link.

use serde::Serialize;

use crate::domain::filter::{Field, FieldType, Value};
use crate::domain::listing::{ListSpec, Listed, SortKey};
use sha2::{Digest, Sha256};

/// An event as stored: everything that is hashed, plus the hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEvent {
    pub sequence: i64,
    pub case_id: String,
    pub case_sequence: i64,
    pub event_type: String,
    pub actor: String,
    pub time: i64,
    pub request_id: String,
    pub before: String,
    pub after: String,
    pub transition: String,
    pub comment: String,
    pub kind: String,
    pub department: String,
    #[serde(skip)]
    pub previous_hash: String,
    #[serde(skip)]
    pub hash: String,
}

/// Which events a watcher of the change feed wants (each `None`: any).
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub kind: Option<String>,
    /// A department code.
    pub department: Option<String>,
    pub case_id: Option<String>,
}

impl StoredEvent {
    /// The hash this event must carry, given its predecessor's hash (empty for the first).
    pub fn compute_hash(&self, previous_hash: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(previous_hash.as_bytes());
        hasher.update([0]);
        // serde_json writes the fields in declaration order: a stable, unambiguous encoding.
        hasher.update(serde_json::to_vec(self).unwrap_or_default());
        hex(&hasher.finalize())
    }

    /// Sets `previous_hash` and `hash` to link this event after `previous_hash`.
    pub fn seal(&mut self, previous_hash: &str) {
        self.previous_hash = previous_hash.to_owned();
        self.hash = self.compute_hash(previous_hash);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first link of one case's chain that does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub case_id: String,
    pub sequence: i64,
    pub reason: String,
}

/// Checks one case's events, in `case_sequence` order.
pub fn verify_chain(events: &[StoredEvent]) -> Result<(), BrokenLink> {
    let mut previous = String::new();
    for (expected, event) in (1..).zip(events) {
        let broken = |reason: &str| BrokenLink {
            case_id: event.case_id.clone(),
            sequence: event.sequence,
            reason: reason.to_owned(),
        };
        if event.case_sequence != expected {
            return Err(broken("an event is missing before this one"));
        }
        if event.previous_hash != previous {
            return Err(broken("the link to the previous event does not match"));
        }
        if event.compute_hash(&previous) != event.hash {
            return Err(broken("the hash does not match the event's content"));
        }
        previous = event.hash.clone();
    }
    Ok(())
}

impl StoredEvent {
    pub fn case_name(&self) -> String {
        format!("cases/{}", self.case_id)
    }

    pub const LIST: ListSpec = ListSpec {
        resource: "events",
        filter_fields: &[
            Field::new("case", FieldType::Name("cases")),
            Field::new("actor", FieldType::Text),
            Field::new("type", FieldType::Text),
            Field::new("time", FieldType::Time),
            Field::new("kind", FieldType::Text),
            Field::new("department", FieldType::Name("departments")),
        ],
        order_fields: &[Field::new("sequence", FieldType::Int)],
        key: Field::new("sequence", FieldType::Int),
        default_order: &[SortKey::asc("sequence")],
    };
}

impl Listed for StoredEvent {
    fn sort_value(&self, _field: &str) -> Value {
        Value::Int(self.sequence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<StoredEvent> {
        let mut previous = String::new();
        (1..=n)
            .map(|i| {
                let mut event = StoredEvent {
                    sequence: i * 10,
                    case_id: "abc".into(),
                    case_sequence: i,
                    event_type: "case.updated".into(),
                    actor: "anna".into(),
                    time: i,
                    request_id: String::new(),
                    before: String::new(),
                    after: format!("{{\"title\":\"v{i}\"}}"),
                    transition: String::new(),
                    comment: String::new(),
                    kind: "work_item".into(),
                    department: "JenV".into(),
                    previous_hash: String::new(),
                    hash: String::new(),
                };
                event.seal(&previous);
                previous = event.hash.clone();
                event
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify_chain(&chain(5)), Ok(()));
    }

    #[test]
    fn an_edit_a_removal_or_a_relink_is_found_at_its_event() {
        let mut edited = chain(5);
        edited[2].actor = "mallory".into();
        assert_eq!(verify_chain(&edited).unwrap_err().sequence, 30);

        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(verify_chain(&removed).unwrap_err().sequence, 30);

        // Recomputing the edited event's own hash still breaks the next link.
        let mut resealed = chain(5);
        resealed[2].actor = "mallory".into();
        let previous = resealed[1].hash.clone();
        resealed[2].seal(&previous);
        assert_eq!(verify_chain(&resealed).unwrap_err().sequence, 40);
    }
}

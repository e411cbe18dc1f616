//! The audit log's tamper evidence: each case's events form a hash chain. An event's hash is the
//! SHA-256 of its predecessor's hash and of its own content, so editing, inserting or removing
//! an event breaks the chain from that point on, and [`verify_chain`] names the first broken link.
//!
//! The links alone cannot show that a chain's last events were removed: what remains still links
//! up. So each case row keeps its chain's head (its revision and its last event's hash), which
//! [`verify_head`] holds against the chain, and the log's global sequence has no holes unless an
//! event was removed ([`sequence_gaps`]). Rewriting a whole chain and its head together is left;
//! signed checkpoints ([`checkpoint`]) make that visible to whoever kept one.

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
    /// The whole case before, in events written before migration 0008; empty since.
    pub before: String,
    /// The whole case after, where a replay may start (`history::record`); empty otherwise.
    pub after: String,
    /// What changed, as a JSON Patch (`history`). Left out of the hashed encoding when empty, so
    /// that the events written before it existed keep their hashes.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub patch: String,
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

/// What a case row says its chain ends with: the revision (the last event's `case_sequence`)
/// and the last event's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHead {
    pub case_id: String,
    pub revision: i64,
    pub last_hash: String,
}

/// Checks that `chain` (one case's events, in order, already verified by [`verify_chain`]) ends
/// where the case row says it does; `None` for the head means the case has no row.
pub fn verify_head(head: Option<&StoredHead>, chain: &[StoredEvent]) -> Result<(), BrokenLink> {
    let last = chain.last();
    let (case_id, sequence, revision, hash) = match last {
        Some(e) => (
            e.case_id.as_str(),
            e.sequence,
            e.case_sequence,
            e.hash.as_str(),
        ),
        None => match head {
            Some(head) => (head.case_id.as_str(), 0, 0, ""),
            None => return Ok(()),
        },
    };
    let broken = |reason: String| BrokenLink {
        case_id: case_id.to_owned(),
        sequence,
        reason,
    };
    let Some(head) = head else {
        return Err(broken(
            "these events belong to a case that is not stored".to_owned(),
        ));
    };
    if head.revision > revision {
        let missing = if head.revision == revision + 1 {
            format!("revision {} is missing", head.revision)
        } else {
            format!(
                "revisions {} to {} are missing",
                revision + 1,
                head.revision
            )
        };
        let after = match last {
            Some(_) => format!("the chain ends at revision {revision} (this event)"),
            None => "the case has no events at all".to_owned(),
        };
        return Err(broken(format!(
            "the case is at revision {} but {after}: {missing}",
            head.revision
        )));
    }
    if head.revision < revision {
        return Err(broken(format!(
            "the chain goes on to revision {revision} but the case is at revision {}",
            head.revision
        )));
    }
    if head.last_hash != hash {
        return Err(broken(
            "the case's stored last hash is not this event's hash".to_owned(),
        ));
    }
    Ok(())
}

/// A run of global sequences with no event: `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceGap {
    pub first: i64,
    pub last: i64,
}

/// The holes in the log's global sequence, which starts at 1 and, as it is assigned under the
/// writer's lock and a rolled-back write takes none, has no holes unless events were removed.
/// `sequences` in ascending order. A removal at the very end leaves no hole: the case heads and
/// the checkpoints catch that.
pub fn sequence_gaps(sequences: impl IntoIterator<Item = i64>) -> Vec<SequenceGap> {
    let mut gaps = Vec::new();
    let mut expected = 1;
    for sequence in sequences {
        if sequence > expected {
            gaps.push(SequenceGap {
                first: expected,
                last: sequence - 1,
            });
        }
        expected = expected.max(sequence + 1);
    }
    gaps
}

pub mod checkpoint {
    //! Signed checkpoints (docs/architecture.md, "Tamper evidence"): every so many events or
    //! minutes the server signs the head of the log, so that whoever keeps a copy can later show
    //! that the log still extends it, even against someone who rewrote whole chains in the
    //! database after the fact.
    //!
    //! A checkpoint at sequence `S` covers every chain as it stood at `S`: per case, its *head
    //! at S*, the event with the highest `case_sequence` among the case's events with
    //! `sequence <= S`. The **heads digest** is the lowercase hex SHA-256 of, for each case in
    //! ascending byte order of its id, the line `{case_id} {case_sequence} {hash}\n` (the
    //! event's hex hash). An auditor can recompute it with a database client and `sha256sum`.
    //! The signed text (`regie_support::checkpoint::message`) names the sequence, the time the
    //! checkpoint was made, the number of cases and the digest.

    use sha2::{Digest as _, Sha256};

    /// A chain's head at some sequence.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ChainHead {
        pub case_id: String,
        pub case_sequence: i64,
        pub hash: String,
    }

    /// The heads digest, over `heads` in ascending order of case id (sorted here).
    pub fn heads_digest(heads: &mut [ChainHead]) -> String {
        heads.sort_by(|a, b| a.case_id.as_bytes().cmp(b.case_id.as_bytes()));
        digest_sorted(heads.iter())
    }

    /// The heads digest over heads already in ascending byte order of case id.
    pub fn digest_sorted<'a>(heads: impl Iterator<Item = &'a ChainHead>) -> String {
        let mut hasher = Sha256::new();
        for head in heads {
            hasher.update(
                format!("{} {} {}\n", head.case_id, head.case_sequence, head.hash).as_bytes(),
            );
        }
        super::hex(&hasher.finalize())
    }

    /// What the log looked like at a sequence: how many chains, and their heads digest.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct HeadsAt {
        pub sequence: i64,
        pub cases: i64,
        pub heads_digest: String,
    }

    /// A signed checkpoint, as stored and as an auditor keeps it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Checkpoint {
        pub sequence: i64,
        /// Micros since the epoch.
        pub time: i64,
        pub cases: i64,
        pub heads_digest: String,
        /// The signer's Ed25519 public key, base64.
        pub public_key: String,
        /// The signature over [`Checkpoint::message`], base64.
        pub signature: String,
    }

    impl Checkpoint {
        /// The text the signature covers.
        pub fn message(&self) -> String {
            regie_support::checkpoint::message(
                self.sequence,
                self.time,
                self.cases,
                &self.heads_digest,
            )
        }

        /// Why the signature does not verify with the checkpoint's own public key, if it does not.
        pub fn signature_error(&self) -> Option<String> {
            regie_support::checkpoint::verify(&self.public_key, &self.message(), &self.signature)
                .err()
        }

        /// Why the log, whose heads at this checkpoint's sequence are `now` and whose newest
        /// sequence is `last_sequence`, does not extend this checkpoint, if it does not.
        pub fn extension_error(&self, last_sequence: i64, now: &HeadsAt) -> Option<String> {
            if last_sequence < self.sequence {
                return Some(format!(
                    "the log ends at sequence {last_sequence}, before this checkpoint: events \
                     up to sequence {} were removed",
                    self.sequence
                ));
            }
            if now.cases != self.cases || now.heads_digest != self.heads_digest {
                return Some(format!(
                    "the log no longer extends this checkpoint: the chains up to sequence {} \
                     differ from the ones signed ({} cases now, {} then; heads digest {} now, {} \
                     then)",
                    self.sequence, now.cases, self.cases, now.heads_digest, self.heads_digest
                ));
            }
            None
        }
    }

    /// When the next checkpoint is due: the log moved past the last one (at `last_checkpoint`,
    /// made at `since`, micros) by `every_events` events, or moved at all and `every` (micros)
    /// has passed since.
    pub fn due(
        last_sequence: i64,
        last_checkpoint: i64,
        since: i64,
        now: i64,
        every_events: i64,
        every: i64,
    ) -> bool {
        last_sequence > last_checkpoint
            && (last_sequence - last_checkpoint >= every_events.max(1) || now - since >= every)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn head(case_id: &str, case_sequence: i64, hash: &str) -> ChainHead {
            ChainHead {
                case_id: case_id.into(),
                case_sequence,
                hash: hash.into(),
            }
        }

        #[test]
        fn the_heads_digest_is_the_sha256_of_one_line_per_case_in_id_order() {
            let mut heads = vec![head("b", 2, "ff"), head("a", 1, "00")];
            let digest = heads_digest(&mut heads);
            let expected = super::super::hex(&Sha256::digest(b"a 1 00\nb 2 ff\n"));
            assert_eq!(digest, expected);
            assert_eq!(heads[0].case_id, "a", "sorted");
            let mut moved = vec![head("a", 1, "00"), head("b", 3, "ee")];
            assert_ne!(heads_digest(&mut moved), digest);
        }

        #[test]
        fn a_checkpoint_is_due_after_n_events_or_m_time_with_news() {
            assert!(!due(10, 10, 0, 1_000_000, 5, 10), "nothing new");
            assert!(due(15, 10, 0, 1, 5, 10), "five events");
            assert!(!due(14, 10, 0, 1, 5, 10), "four events, not yet the time");
            assert!(due(11, 10, 0, 10, 5, 10), "one event and the time");
        }
    }
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

    #[test]
    fn an_event_without_a_patch_hashes_as_it_did_before_patches_existed() {
        let mut event = chain(1).remove(0);
        let encoded = serde_json::to_string(&event).expect("encodes");
        assert!(!encoded.contains("patch"), "{encoded}");
        let old = event.hash.clone();
        event.patch = "[]".into();
        assert!(
            serde_json::to_string(&event)
                .expect("encodes")
                .contains("\"patch\":\"[]\""),
            "a patch is hashed"
        );
        assert_ne!(event.compute_hash(""), old);
    }

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
                    patch: String::new(),
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

    fn head(events: &[StoredEvent], revision: i64) -> StoredHead {
        StoredHead {
            case_id: "abc".into(),
            revision,
            last_hash: events[revision as usize - 1].hash.clone(),
        }
    }

    #[test]
    fn a_chain_that_ends_at_its_head_verifies() {
        let events = chain(5);
        assert_eq!(verify_head(Some(&head(&events, 5)), &events), Ok(()));
    }

    #[test]
    fn a_chain_whose_last_events_were_removed_is_found_by_its_head() {
        let events = chain(5);
        let truncated = &events[..3];
        let broken = verify_head(Some(&head(&events, 5)), truncated).unwrap_err();
        assert_eq!(broken.sequence, 30, "named at the last event that remains");
        assert!(
            broken.reason.contains("revisions 4 to 5 are missing"),
            "{broken:?}"
        );
        let broken = verify_head(Some(&head(&events, 5)), &[]).unwrap_err();
        assert!(broken.reason.contains("no events at all"), "{broken:?}");
        // The head moved back too, but its hash is still the removed event's.
        let mut moved = head(&events, 5);
        moved.revision = 3;
        let broken = verify_head(Some(&moved), truncated).unwrap_err();
        assert!(broken.reason.contains("last hash"), "{broken:?}");
        assert!(verify_head(None, &events).is_err(), "events without a case");
    }

    #[test]
    fn holes_in_the_sequence_are_each_reported() {
        assert_eq!(sequence_gaps([1, 2, 3]), vec![]);
        assert_eq!(
            sequence_gaps([2, 3, 7, 8, 10]),
            vec![
                SequenceGap { first: 1, last: 1 },
                SequenceGap { first: 4, last: 6 },
                SequenceGap { first: 9, last: 9 },
            ]
        );
        assert_eq!(sequence_gaps(std::iter::empty()), vec![]);
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

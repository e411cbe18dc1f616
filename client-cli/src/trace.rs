//! W3C Trace Context for the CLI: with `--trace`, every call of the run carries one
//! `traceparent` of this run's own (a new trace id and span id), so that the server's spans for
//! it form one trace, whose id is printed on stderr. With the standard `TRACEPARENT` variable
//! set (as a CI job or a calling script sets it), the calls join that trace instead.

use std::fmt;

/// A `traceparent` header value: version 00, a trace id, a parent span id, sampled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceParent {
    trace_id: String,
    span_id: String,
    flags: String,
}

impl TraceParent {
    /// A new trace, sampled: random 128-bit trace id and 64-bit span id (never all zero).
    pub fn generate() -> Self {
        let trace = uuid::Uuid::new_v4().simple().to_string();
        let span = uuid::Uuid::new_v4().simple().to_string()[..16].to_owned();
        Self {
            trace_id: trace,
            span_id: span,
            flags: "01".to_owned(),
        }
    }

    /// Parses a `traceparent` value (version 00); `None` when it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let zero = |s: &str| s.bytes().all(|b| b == b'0');
        let valid = version == "00"
            && parts.next().is_none()
            && hex(trace, 32)
            && !zero(trace)
            && hex(span, 16)
            && !zero(span)
            && hex(flags, 2);
        valid.then(|| Self {
            trace_id: trace.to_owned(),
            span_id: span.to_owned(),
            flags: flags.to_owned(),
        })
    }

    /// What this run sends: the inherited context when `TRACEPARENT` holds a valid one, a new
    /// trace when `--trace` asks for it, otherwise nothing.
    pub fn for_run(asked: bool, inherited: Option<&str>) -> Option<Self> {
        inherited
            .and_then(Self::parse)
            .or_else(|| asked.then(Self::generate))
    }

    pub fn trace_id(&self) -> &str {
        &self.trace_id
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "00-{}-{}-{}", self.trace_id, self.span_id, self.flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_traceparent_parses_back() {
        let t = TraceParent::generate();
        assert_eq!(TraceParent::parse(&t.to_string()), Some(t.clone()));
        assert_eq!(t.trace_id().len(), 32);
    }

    #[test]
    fn an_inherited_context_wins_and_garbage_is_ignored() {
        let given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let t = TraceParent::for_run(true, Some(given)).unwrap();
        assert_eq!(t.to_string(), given);
        assert!(TraceParent::for_run(false, Some("00-xyz")).is_none());
        assert!(TraceParent::for_run(false, None).is_none());
        assert!(
            TraceParent::for_run(true, Some("garbage")).is_some(),
            "a new trace"
        );
        for bad in [
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        ] {
            assert!(TraceParent::parse(bad).is_none(), "{bad}");
        }
    }
}

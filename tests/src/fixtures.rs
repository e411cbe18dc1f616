//! Cases the end-to-end tests create again and again, written once.

use regie_proto::v1::{self, case::Details};

/// A new risk analysis of JenV, of `organisation`, with the usual threshold (12) for a high risk.
pub fn risk_analysis(title: &str, organisation: &str) -> v1::Case {
    v1::Case {
        kind: "risk_analysis".into(),
        title: title.into(),
        department: "departments/JenV".into(),
        details: Some(Details::RiskAnalysis(v1::RiskAnalysisDetails {
            organisation: organisation.into(),
            high_risk_threshold: 12,
            risk_count: 0,
        })),
        ..Default::default()
    }
}

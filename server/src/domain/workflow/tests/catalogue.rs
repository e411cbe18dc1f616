use super::default_definition;
use crate::domain::workflow::{DEFAULT_FILES, PublishError, WorkflowDefinition, Workflows};

fn work_item_version(version: u32) -> WorkflowDefinition {
    let text = default_definition("work_item")
        .source()
        .replace("version = 1", &format!("version = {version}"));
    WorkflowDefinition::parse("work_item.toml", &text).unwrap()
}

#[test]
fn every_embedded_default_definition_is_valid() {
    for (file, text) in DEFAULT_FILES {
        if let Err(error) = WorkflowDefinition::parse(file, text) {
            panic!("{error}");
        }
    }
    let workflows = Workflows::with_defaults().unwrap();
    assert_eq!(
        workflows.kinds().collect::<Vec<_>>(),
        [
            "assessment_cycle",
            "framework",
            "recommendation",
            "risk_analysis",
            "work_item"
        ]
    );
    assert_eq!(workflows.latest("work_item").map(|d| d.version()), Some(1));
    assert_eq!(
        workflows.get("recommendation", 1).map(|d| d.file_name()),
        Some("recommendation.toml")
    );
    assert!(workflows.get("recommendation", 2).is_none());
    assert!(workflows.latest("incident").is_none());
}

#[test]
fn publishing_a_newer_version_keeps_the_older_ones() {
    let mut workflows = Workflows::with_defaults().unwrap();
    workflows.publish(work_item_version(3)).unwrap();
    assert_eq!(workflows.latest("work_item").map(|d| d.version()), Some(3));
    assert!(workflows.get("work_item", 1).is_some());
    let versions: Vec<u32> = workflows
        .versions("work_item")
        .map(|d| d.version())
        .collect();
    assert_eq!(versions, [1, 3]);
}

#[test]
fn publishing_a_version_that_is_not_newer_is_refused() {
    let mut workflows = Workflows::with_defaults().unwrap();
    workflows.publish(work_item_version(2)).unwrap();
    for version in [1, 2] {
        let error = workflows.publish(work_item_version(version)).unwrap_err();
        assert_eq!(
            error,
            PublishError::NotNewer {
                kind: "work_item".into(),
                version,
                latest: 2
            }
        );
        assert_eq!(
            error.to_string(),
            format!(
                "work_item version {version} is not newer than the latest published version, 2; \
                 publish version 3 or higher"
            )
        );
    }
    assert_eq!(workflows.latest("work_item").map(|d| d.version()), Some(2));
}

#[test]
fn the_first_version_of_a_new_kind_can_be_published() {
    let mut workflows = Workflows::new();
    workflows.publish(work_item_version(4)).unwrap();
    assert_eq!(workflows.latest("work_item").map(|d| d.version()), Some(4));
}

//! The demo's script (`assets/demo.toml`) as data: its prompts and their revisions, datasets,
//! eval runs, people and the steps of the review workflow, and how a prompt's text is built from
//! it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::domain::{PromptContent, VariableSpec};
use crate::prompt_file;

use super::{Result, WorkspaceError, starters};

const DEMO_SCRIPT: &str = include_str!("../../assets/demo.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Script {
    pub(super) prompt: Vec<DemoPrompt>,
    #[serde(default)]
    pub(super) dataset: Vec<DemoDataset>,
    #[serde(default)]
    pub(super) run: Vec<DemoRun>,
    #[serde(default)]
    pub(super) user: Vec<DemoUser>,
    #[serde(default)]
    pub(super) step: Vec<Step>,
    #[serde(default)]
    pub(super) traffic: Option<super::demo_traffic::DemoTraffic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DemoUser {
    pub(super) name: String,
    pub(super) role: String,
    #[serde(default)]
    pub(super) groups: Vec<String>,
}

/// One step of the review workflow, run as user `as`. `review` and `comment`/`reply_to` count
/// the demo's own reviews and comments from 1. `at` moves the story's clock forward.
#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(super) enum Step {
    At {
        days_ago: f64,
    },
    Policy {
        #[serde(rename = "as")]
        actor: String,
        env: String,
        #[serde(default)]
        require_groups: Vec<String>,
        /// Whether only signed decisions count there (and deployments must be signed).
        #[serde(default)]
        require_signatures: bool,
    },
    Review {
        #[serde(rename = "as")]
        actor: String,
        prompt: String,
        version: u32,
        env: String,
        #[serde(default)]
        reviewers: Vec<String>,
        #[serde(default)]
        note: String,
    },
    Approve {
        #[serde(rename = "as")]
        actor: String,
        review: usize,
        comment: String,
    },
    Reject {
        #[serde(rename = "as")]
        actor: String,
        review: usize,
        comment: String,
    },
    Deploy {
        #[serde(rename = "as")]
        actor: String,
        prompt: String,
        version: u32,
        env: String,
    },
    Rollback {
        #[serde(rename = "as")]
        actor: String,
        prompt: String,
        env: String,
    },
    Comment {
        #[serde(rename = "as")]
        actor: String,
        prompt: String,
        version: Option<u32>,
        section: Option<String>,
        line: Option<u32>,
        reply_to: Option<usize>,
        text: String,
    },
    Resolve {
        #[serde(rename = "as")]
        actor: String,
        comment: usize,
    },
}

impl Step {
    pub(super) fn actor(&self) -> Option<&str> {
        match self {
            Step::At { .. } => None,
            Step::Policy { actor, .. }
            | Step::Review { actor, .. }
            | Step::Approve { actor, .. }
            | Step::Reject { actor, .. }
            | Step::Deploy { actor, .. }
            | Step::Rollback { actor, .. }
            | Step::Comment { actor, .. }
            | Step::Resolve { actor, .. } => Some(actor),
        }
    }

    pub(super) fn prompt(&self) -> Option<&str> {
        match self {
            Step::Review { prompt, .. }
            | Step::Deploy { prompt, .. }
            | Step::Rollback { prompt, .. }
            | Step::Comment { prompt, .. } => Some(prompt),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DemoDataset {
    pub(super) name: String,
    pub(super) description: String,
    pub(super) author: String,
    pub(super) case: Vec<crate::domain::eval::TestCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DemoRun {
    pub(super) prompt: String,
    pub(super) dataset: String,
    pub(super) versions: Vec<u32>,
    pub(super) author: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DemoPrompt {
    pub(super) name: String,
    pub(super) template: Option<String>,
    pub(super) source: Option<String>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    pub(super) author: String,
    pub(super) message: String,
    #[serde(default)]
    pub(super) revision: Vec<Revision>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Revision {
    pub(super) author: String,
    pub(super) message: String,
    #[serde(default)]
    pub(super) set: Vec<SetBody>,
    #[serde(default)]
    pub(super) config: Map<String, Json>,
    #[serde(default)]
    pub(super) variables: BTreeMap<String, VariableSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SetBody {
    pub(super) section: String,
    pub(super) body: String,
}

/// The embedded script, parsed.
pub(super) fn script() -> Result<Script> {
    toml::from_str(DEMO_SCRIPT)
        .map_err(|e| WorkspaceError::Refused(format!("the embedded demo script is broken: {e}")))
}

pub(super) fn initial_content(prompt: &DemoPrompt) -> Result<(PromptContent, Vec<String>)> {
    match (&prompt.template, &prompt.source) {
        (Some(id), None) => {
            let starter = starters::starter(id)?;
            Ok((starter.file.content, starter.tags))
        }
        (None, Some(source)) => {
            let file = prompt_file::parse(source)?;
            Ok((file.content, file.tags))
        }
        _ => Err(WorkspaceError::Refused(format!(
            "demo prompt `{}` needs exactly one of `template` and `source`",
            prompt.name
        ))),
    }
}

pub(super) fn apply(
    content: &mut PromptContent,
    revision: &Revision,
) -> std::result::Result<(), String> {
    for set in &revision.set {
        let i = content.find_section(&set.section)?;
        content.sections[i].body = set.body.clone();
    }
    if let Json::Object(config) = &mut content.config {
        config.extend(revision.config.clone());
    }
    content.variables.extend(revision.variables.clone());
    Ok(())
}

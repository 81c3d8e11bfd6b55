//! `galley demo`: replays `assets/demo.toml` into a workspace rich enough to show every feature.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::domain::{PromptContent, PromptName, VariableSpec};
use crate::prompt_file;

use super::{Result, Workspace, WorkspaceError, starters};

const DEMO_SCRIPT: &str = include_str!("../../assets/demo.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    prompt: Vec<DemoPrompt>,
    #[serde(default)]
    dataset: Vec<DemoDataset>,
    #[serde(default)]
    run: Vec<DemoRun>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoDataset {
    name: String,
    description: String,
    author: String,
    case: Vec<crate::domain::eval::TestCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoRun {
    prompt: String,
    dataset: String,
    versions: Vec<u32>,
    author: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPrompt {
    name: String,
    template: Option<String>,
    source: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    author: String,
    message: String,
    #[serde(default)]
    revision: Vec<Revision>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Revision {
    author: String,
    message: String,
    #[serde(default)]
    set: Vec<SetBody>,
    #[serde(default)]
    config: Map<String, Json>,
    #[serde(default)]
    variables: BTreeMap<String, VariableSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBody {
    section: String,
    body: String,
}

/// What the demo created.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DemoReport {
    /// (prompt, number of versions) for each prompt created.
    pub created: Vec<(PromptName, u32)>,
    /// Prompts that already existed and were left alone.
    pub skipped: Vec<PromptName>,
    /// Datasets created, and eval runs finished.
    pub datasets: usize,
    pub runs: usize,
}

impl Workspace {
    /// Builds the demo prompts (from the starting templates, with a history of edits by several
    /// authors). Prompts that already exist are left as they are.
    pub fn load_demo(&mut self) -> Result<DemoReport> {
        let script: Script = toml::from_str(DEMO_SCRIPT).map_err(|e| {
            WorkspaceError::Refused(format!("the embedded demo script is broken: {e}"))
        })?;
        let me = self.user.clone();
        let result = self.replay(script);
        self.user = me;
        result
    }

    fn replay(&mut self, script: Script) -> Result<DemoReport> {
        let mut report = DemoReport::default();
        self.replay_prompts(script.prompt, &mut report)?;
        let existing: Vec<String> = self.datasets()?.into_iter().map(|d| d.name).collect();
        let mut fresh = Vec::new();
        for dataset in script.dataset {
            if existing.contains(&dataset.name) {
                continue;
            }
            self.user = dataset.author.clone();
            let text = dataset
                .case
                .iter()
                .map(|c| serde_json::to_string(c).expect("cases serialise"))
                .collect::<Vec<_>>()
                .join("\n");
            self.create_dataset(&dataset.name, &dataset.description)?;
            self.import_dataset(
                &dataset.name,
                &text,
                crate::eval::dataset_io::DatasetFormat::Jsonl,
                super::ImportMode::Replace,
                false,
            )?;
            fresh.push(dataset.name);
            report.datasets += 1;
        }
        for run in script
            .run
            .into_iter()
            .filter(|r| fresh.contains(&r.dataset))
        {
            self.user = run.author.clone();
            let options = super::EvalOptions {
                prompt: PromptName::parse(&run.prompt)?,
                dataset: run.dataset.clone(),
                versions: run
                    .versions
                    .iter()
                    .map(|v| crate::domain::VersionRef::Number(*v))
                    .collect(),
                providers: vec!["echo".into()],
                concurrency: 4,
                repeat: 1,
                only_failed: None,
                grader: None,
                use_cache: false,
                overrides: Json::Null,
                prices: crate::eval::pricing::PriceTable::load(&Default::default()),
            };
            self.run_eval(
                options,
                &mut |_, _| {},
                crate::eval::runner::Cancel::default(),
            )?;
            report.runs += 1;
        }
        Ok(report)
    }

    fn replay_prompts(&mut self, prompts: Vec<DemoPrompt>, report: &mut DemoReport) -> Result<()> {
        for prompt in prompts {
            let name = PromptName::parse(&prompt.name)?;
            if self.summary(&name).is_ok() {
                report.skipped.push(name);
                continue;
            }
            let (content, mut tags) = initial_content(&prompt)?;
            tags.extend(prompt.tags.iter().cloned());
            self.user = prompt.author.clone();
            let mut last = self.create_prompt(&name, content, &tags, &prompt.message)?;
            for revision in &prompt.revision {
                self.user = revision.author.clone();
                self.edit_draft(&name, |content| apply(content, revision))?;
                last = self.commit(&name, &revision.message, false)?;
            }
            report.created.push((name, last.number));
        }
        Ok(())
    }
}

fn initial_content(prompt: &DemoPrompt) -> Result<(PromptContent, Vec<String>)> {
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

fn apply(content: &mut PromptContent, revision: &Revision) -> std::result::Result<(), String> {
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

#[cfg(test)]
mod tests {
    use crate::domain::VersionRef;
    use crate::workspace::Workspace;

    #[test]
    fn demo_builds_a_rich_workspace_that_renders() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::open(&dir.path().join("demo.db"), "me").unwrap();
        let report = ws.load_demo().unwrap();
        assert!(report.created.len() >= 12, "{:?}", report.created);
        assert!(
            report
                .created
                .iter()
                .filter(|(_, n)| (3..=6).contains(n))
                .count()
                >= 5
        );
        assert_eq!(ws.user(), "me");
        // Every prompt renders from its declared examples and defaults.
        for summary in ws.list(None).unwrap() {
            let content = ws.working_copy(&summary.name).unwrap().content;
            let mut inputs = serde_json::Map::new();
            for var in ws.variables(&summary.name, &content).unwrap() {
                if let Some(sample) = var.spec.sample() {
                    inputs.insert(var.name.clone(), sample.clone());
                }
            }
            ws.render(&summary.name, VersionRef::Latest, &inputs)
                .unwrap_or_else(|e| panic!("{}: {e}", summary.name));
        }
        let again = ws.load_demo().unwrap();
        assert!(again.created.is_empty());
        assert_eq!(again.skipped.len(), report.created.len());
    }
}

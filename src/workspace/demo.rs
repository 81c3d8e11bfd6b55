//! `galley demo`: replays `assets/demo.toml` into a workspace rich enough to show every feature.
//! The script's data is `demo_script`, its clock `demo_story`, its people and their keys
//! `demo_people`, its review workflow `demo_workflow`, its production traffic `demo_traffic`.

use serde::Serialize;
use serde_json::Value as Json;

use crate::domain::PromptName;

use super::demo_script::{self, DemoPrompt, Script};
use super::demo_story::{self, Story};
use super::{Result, Workspace};

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
    /// Users, review requests, comments and deployments created.
    pub users: usize,
    /// Keys registered for the demo's people (one each, made for the run).
    pub keys: usize,
    /// Where their private keys were written (`FILE.demo-keys`), to sign as them.
    pub keys_dir: Option<std::path::PathBuf>,
    pub reviews: usize,
    pub comments: usize,
    pub deployments: usize,
    /// Production observations stored (none when they already were).
    pub observations: usize,
    /// Whether the demo turned the identity override on (so `--user`/`GALLEY_USER` may act as
    /// the demo's people).
    pub identity_override: bool,
}

impl Workspace {
    /// Builds the demo prompts (from the starting templates, with a history of edits by several
    /// authors). Prompts that already exist are left as they are.
    pub fn load_demo(&mut self) -> Result<DemoReport> {
        let script = demo_script::script()?;
        let me = self.user.clone();
        // The demo's people sign with their own keys; the caller's signer comes back after.
        let signer = std::mem::take(&mut self.signer);
        let result = self.replay(script);
        self.user = me;
        self.signer = signer;
        result
    }

    fn replay(&mut self, script: Script) -> Result<DemoReport> {
        let mut report = DemoReport::default();
        let now = demo_story::demo_now().as_millisecond();
        let mut story = Story::new(self, now, script.traffic.as_ref())?;
        self.replay_prompts(script.prompt, &mut story, &mut report)?;
        let (users, steps) = (script.user, script.step);
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
            story.tick()?;
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
            story.tick()?;
        }
        self.replay_workflow(users, steps, &mut story, &mut report)?;
        drop(story);
        if let Some(traffic) = &script.traffic {
            report.observations = self.replay_traffic(traffic, now)?;
        }
        Ok(report)
    }

    fn replay_prompts(
        &mut self,
        prompts: Vec<DemoPrompt>,
        story: &mut Story,
        report: &mut DemoReport,
    ) -> Result<()> {
        for prompt in prompts {
            let name = PromptName::parse(&prompt.name)?;
            if self.summary(&name).is_ok() {
                report.skipped.push(name);
                continue;
            }
            let (content, mut tags) = demo_script::initial_content(&prompt)?;
            tags.extend(prompt.tags.iter().cloned());
            self.user = prompt.author.clone();
            let mut last = self.create_prompt(&name, content, &tags, &prompt.message)?;
            for revision in &prompt.revision {
                // A few hours between versions.
                story.jump(story.at + jiff::SignedDuration::from_hours(3))?;
                self.user = revision.author.clone();
                self.edit_draft(&name, |content| demo_script::apply(content, revision))?;
                last = self.commit(&name, &revision.message, false)?;
            }
            story.jump(story.at + jiff::SignedDuration::from_hours(3))?;
            report.created.push((name, last.number));
        }
        Ok(())
    }
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

    #[test]
    fn the_demos_people_have_keys_and_sign_every_decision_and_deployment() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::open(&dir.path().join("demo.db"), "me").unwrap();
        let report = ws.load_demo().unwrap();
        assert_eq!(report.keys, report.users);
        let listing = ws.user_keys(None).unwrap();
        let people = ["ada", "grace", "linus", "margaret"];
        for person in people {
            let keys: Vec<_> = listing.keys.iter().filter(|k| k.user == person).collect();
            assert_eq!(keys.len(), 1, "{person}: {keys:?}");
            assert_eq!(keys[0].status, "valid", "{person}: {keys:?}");
            assert_eq!(keys[0].algorithm, "ssh-ed25519");
        }
        // The first admin's own key is the trust root; the others were registered by her.
        let root = listing.keys.iter().find(|k| k.root).unwrap();
        assert_eq!(root.user, "ada");
        assert_eq!(listing.root.as_deref(), Some(root.fingerprint.as_str()));
        assert!(listing.keys.iter().all(|k| k.added_by == "ada"));
        assert!(ws.policy("production").unwrap().require_signatures);

        let reviews = ws.reviews(false).unwrap();
        let decisions: Vec<_> = reviews.iter().flat_map(|r| &r.decisions).collect();
        assert!(decisions.len() >= 10, "{}", decisions.len());
        for d in decisions {
            assert!(
                d.verified,
                "{} on review {}",
                d.decision.reviewer, d.review_id
            );
            assert!(d.decision.check.is_verified());
        }
        let mut deployments = 0;
        for summary in ws.list(None).unwrap() {
            for d in ws.deployments(&summary.name).unwrap() {
                let (Some(statement), Some(signature)) = (&d.statement, &d.signature) else {
                    panic!("{} {} v{} is not signed", d.prompt, d.env, d.version);
                };
                let by = crate::domain::sshsig::verify(statement, signature, None).unwrap();
                let mine = listing.keys.iter().find(|k| k.user == d.actor).unwrap();
                assert_eq!(by, mine.fingerprint, "{} {}", d.prompt, d.env);
                deployments += 1;
            }
        }
        assert_eq!(deployments, report.deployments);
        // The caller's own (absent) signer is back: nothing is signed in their name.
        assert!(!ws.signer().is_configured());
    }
}

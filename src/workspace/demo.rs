//! `galley demo`: replays `assets/demo.toml` into a workspace rich enough to show every feature.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::domain::policy::DecisionKind;
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
    #[serde(default)]
    user: Vec<DemoUser>,
    #[serde(default)]
    step: Vec<Step>,
    #[serde(default)]
    traffic: Option<super::demo_traffic::DemoTraffic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoUser {
    name: String,
    role: String,
    #[serde(default)]
    groups: Vec<String>,
}

/// One step of the review workflow, run as user `as`. `review` and `comment`/`reply_to` count
/// the demo's own reviews and comments from 1. `at` moves the story's clock forward.
#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum Step {
    At {
        days_ago: f64,
    },
    Policy {
        #[serde(rename = "as")]
        actor: String,
        env: String,
        #[serde(default)]
        require_groups: Vec<String>,
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
    fn actor(&self) -> Option<&str> {
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

    fn prompt(&self) -> Option<&str> {
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
    /// Users, review requests, comments and deployments created.
    pub users: usize,
    pub reviews: usize,
    pub comments: usize,
    pub deployments: usize,
    /// Production observations stored (none when they already were).
    pub observations: usize,
    /// Whether the demo turned the identity override on (so `--user`/`GALLEY_USER` may act as
    /// the demo's people).
    pub identity_override: bool,
}

/// The demo's story clock: the replay's records are dated along a timeline that ends before
/// today (UTC), so `galley demo` writes the history its traffic tells. It starts
/// [`STORY_DAYS`] before today, moves [`STEP_MINUTES`] on after each record, jumps forward at an
/// `at` step, and dates the deployments of the traffic's prompt at the starts of its phases (the
/// first phase of that environment, and version, not used yet that starts no earlier than the
/// clock; the next record may share that instant).
/// On a workspace whose audit log already has entries it stays off (records at the real time,
/// so the log's times never go back).
struct Story {
    clock: Option<super::StoryClock>,
    at: jiff::Timestamp,
    today: jiff::Timestamp,
    /// The traffic's phase starts, and which ones a deployment used.
    schedule: Vec<(super::demo_traffic::PhaseStart, bool)>,
    prompt: Option<String>,
}

/// The time the demo takes as now when pinned (tests only: see [`pin_demo_now`]).
static PINNED_NOW: std::sync::Mutex<Option<jiff::Timestamp>> = std::sync::Mutex::new(None);

/// For tests only: later demos in this process take `at` as now, so their story and traffic
/// end on a fixed day and snapshots of them stay the same whatever day the tests run.
#[doc(hidden)]
pub fn pin_demo_now(at: jiff::Timestamp) {
    *PINNED_NOW.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
}

/// How many days before today the story starts.
const STORY_DAYS: i64 = 44;
/// How far the clock moves after each record of the story.
const STEP_MINUTES: i64 = 9;

impl Story {
    fn new(
        ws: &Workspace,
        now_ms: i64,
        traffic: Option<&super::demo_traffic::DemoTraffic>,
    ) -> Result<Self> {
        let day = crate::domain::metrics::BucketSize::Day;
        let today = jiff::Timestamp::from_millisecond(day.start_of(now_ms))
            .map_err(|e| WorkspaceError::Refused(e.to_string()))?;
        let at = today - jiff::SignedDuration::from_hours(24 * STORY_DAYS);
        let fresh = ws
            .store
            .read()
            .audit_entries(&crate::store::AuditQuery {
                limit: Some(1),
                ..Default::default()
            })?
            .is_empty();
        Ok(Self {
            clock: fresh.then(|| super::StoryClock::start(at)),
            at,
            today,
            schedule: traffic
                .map(|t| t.schedule(now_ms).into_iter().map(|p| (p, false)).collect())
                .unwrap_or_default(),
            prompt: traffic.map(|t| t.prompt().to_string()),
        })
    }

    /// Moves the clock to `to`, never back.
    fn jump(&mut self, to: jiff::Timestamp) -> Result<()> {
        if to < self.at {
            return Err(WorkspaceError::Refused(format!(
                "the demo script goes back in time: {to} is before {}",
                self.at
            )));
        }
        self.at = to;
        if let Some(clock) = &self.clock {
            clock.set(to);
        }
        Ok(())
    }

    fn days_ago(&mut self, days: f64) -> Result<()> {
        let millis = (days * 86_400_000.0).round() as i64;
        self.jump(self.today - jiff::SignedDuration::from_millis(millis))
    }

    /// After a record: the clock moves on a little.
    fn tick(&mut self) -> Result<()> {
        self.jump(self.at + jiff::SignedDuration::from_mins(STEP_MINUTES))
    }

    /// Before a deployment (or rollback, `version` None) of `prompt` to `env`: when the traffic
    /// has a phase of it not yet used, the clock moves to its start. Returns the phase's version.
    fn deployment(&mut self, prompt: &str, env: &str, version: Option<u32>) -> Result<Option<u32>> {
        if self.prompt.as_deref() != Some(prompt) {
            return Ok(None);
        }
        let at = self.at.as_millisecond();
        let Some((phase, used)) = self.schedule.iter_mut().find(|(p, used)| {
            !*used && p.env == env && p.at_ms >= at && version.is_none_or(|v| v == p.version)
        }) else {
            return Ok(None);
        };
        *used = true;
        let (to, version) = (phase.at_ms, phase.version);
        self.jump(
            jiff::Timestamp::from_millisecond(to)
                .map_err(|e| WorkspaceError::Refused(e.to_string()))?,
        )?;
        Ok(Some(version))
    }
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
        let pinned = *PINNED_NOW.lock().unwrap_or_else(|e| e.into_inner());
        let now = pinned.unwrap_or_else(jiff::Timestamp::now).as_millisecond();
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

    /// Users, policies, reviews, deployments and comments: only on a workspace with no users,
    /// reviews or deployments yet, whose demo prompts this run created (so running the demo
    /// twice leaves things alone). Ends by turning the identity override on.
    fn replay_workflow(
        &mut self,
        users: Vec<DemoUser>,
        steps: Vec<Step>,
        story: &mut Story,
        report: &mut DemoReport,
    ) -> Result<()> {
        let Some(admin) = users.first().map(|u| u.name.clone()) else {
            return Ok(());
        };
        {
            let tx = self.store.read();
            if tx.user_count()? > 0
                || !tx.reviews()?.is_empty()
                || !tx.deployments(None)?.is_empty()
            {
                return Ok(());
            }
        }
        let fresh = |p: &str| report.created.iter().any(|(n, _)| n.as_str() == p);
        if !steps.iter().filter_map(Step::prompt).all(fresh) {
            return Ok(());
        }
        self.user = admin;
        for u in &users {
            let role = u.role.parse().map_err(WorkspaceError::Refused)?;
            self.add_user(&u.name, role, &u.groups)?;
            report.users += 1;
            story.tick()?;
        }
        let mut reviews: Vec<i64> = Vec::new();
        let mut comments: Vec<i64> = Vec::new();
        let nth = |ids: &[i64], n: usize, what: &str| {
            n.checked_sub(1)
                .and_then(|i| ids.get(i).copied())
                .ok_or_else(|| {
                    WorkspaceError::Refused(format!("the demo script has no {what} {n} yet"))
                })
        };
        for step in steps {
            if let Some(actor) = step.actor() {
                self.user = actor.to_string();
            }
            match step {
                Step::At { days_ago } => {
                    story.days_ago(days_ago)?;
                    continue;
                }
                Step::Policy {
                    env,
                    require_groups,
                    ..
                } => {
                    let change = super::PolicyChange {
                        required_groups: Some(require_groups),
                        ..Default::default()
                    };
                    self.set_policy(&env, &change)?;
                }
                Step::Review {
                    prompt,
                    version,
                    env,
                    reviewers,
                    note,
                    ..
                } => {
                    let name = PromptName::parse(&prompt)?;
                    let info = self.request_review(&name, version, &env, &reviewers, &note)?;
                    reviews.push(info.review.id);
                    report.reviews += 1;
                }
                Step::Approve {
                    review, comment, ..
                } => {
                    self.decide(
                        nth(&reviews, review, "review")?,
                        DecisionKind::Approve,
                        &comment,
                    )?;
                }
                Step::Reject {
                    review, comment, ..
                } => {
                    self.decide(
                        nth(&reviews, review, "review")?,
                        DecisionKind::Reject,
                        &comment,
                    )?;
                }
                Step::Deploy {
                    prompt,
                    version,
                    env,
                    ..
                } => {
                    let phase = story.deployment(&prompt, &env, Some(version))?;
                    self.deploy(&PromptName::parse(&prompt)?, version, &env)?;
                    report.deployments += 1;
                    if phase.is_some() {
                        // Exactly at its phase's start: another may start there too.
                        continue;
                    }
                }
                Step::Rollback { prompt, env, .. } => {
                    let phase = story.deployment(&prompt, &env, None)?;
                    let row = self.rollback(&PromptName::parse(&prompt)?, &env)?;
                    if phase.is_some_and(|v| v != row.version) {
                        return Err(WorkspaceError::Refused(format!(
                            "the demo rolled {env} back to v{}, its traffic says v{}",
                            row.version,
                            phase.unwrap_or_default()
                        )));
                    }
                    report.deployments += 1;
                    if phase.is_some() {
                        continue;
                    }
                }
                Step::Comment {
                    prompt,
                    version,
                    section,
                    line,
                    reply_to,
                    text,
                    ..
                } => {
                    let target = super::CommentTarget {
                        version,
                        section,
                        line,
                        reply_to: reply_to.map(|n| nth(&comments, n, "comment")).transpose()?,
                    };
                    let c = self.add_comment(&PromptName::parse(&prompt)?, &target, &text)?;
                    comments.push(c.id);
                    report.comments += 1;
                }
                Step::Resolve { comment, .. } => {
                    self.resolve_comment(nth(&comments, comment, "comment")?)?;
                }
            }
            story.tick()?;
        }
        self.user = users[0].name.clone();
        self.set_identity_override(true)?;
        report.identity_override = true;
        Ok(())
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
            let (content, mut tags) = initial_content(&prompt)?;
            tags.extend(prompt.tags.iter().cloned());
            self.user = prompt.author.clone();
            let mut last = self.create_prompt(&name, content, &tags, &prompt.message)?;
            for revision in &prompt.revision {
                // A few hours between versions.
                story.jump(story.at + jiff::SignedDuration::from_hours(3))?;
                self.user = revision.author.clone();
                self.edit_draft(&name, |content| apply(content, revision))?;
                last = self.commit(&name, &revision.message, false)?;
            }
            story.jump(story.at + jiff::SignedDuration::from_hours(3))?;
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

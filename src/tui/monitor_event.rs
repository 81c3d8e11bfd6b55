//! The Monitor view's requests to the worker and its answers: a prompt's metrics over time in
//! one environment with its deployments and worst calls, one call, a call made into a test
//! case, and the breaches of every prompt (the prompt list's badges).

use crate::domain::PromptName;
use crate::domain::observation::{Observation, WorstKind};
use crate::store::DeploymentRow;
use crate::workspace::{Alert, CaseFromObservation, MetricSeries};

/// What the Monitor view shows.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorQuery {
    pub prompt: PromptName,
    /// `None`: production when it has calls, else the first environment that has.
    pub env: Option<String>,
    /// How far back from `until`, in hours.
    pub hours: u32,
    /// The end of the range; `None`: now (tests pin it).
    pub until: Option<jiff::Timestamp>,
    pub worst: WorstKind,
}

/// Work for the Monitor view.
#[derive(Debug, Clone, PartialEq)]
pub enum MonitorRequest {
    Load(MonitorQuery),
    /// Observation `id` becomes a test case of `dataset` (created when missing).
    ToCase {
        id: String,
        dataset: String,
    },
    /// Every breach of every prompt in the last week, for the prompt list.
    Alerts {
        until: Option<jiff::Timestamp>,
    },
}

/// The metrics, deployments and worst calls of one prompt in one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorData {
    /// The query with its environment resolved.
    pub query: MonitorQuery,
    pub series: MetricSeries,
    /// Production over the same range, when the environment shown is another one: its new
    /// version is compared with what production serves.
    pub baseline: Option<MetricSeries>,
    /// The prompt's deployments to the environment, oldest first.
    pub deployments: Vec<DeploymentRow>,
    pub worst: Vec<Observation>,
}

/// The worker's answers to [`MonitorRequest`]s.
#[derive(Debug, Clone, PartialEq)]
pub enum MonitorReply {
    Loaded(Box<MonitorData>),
    CaseCreated(Box<CaseFromObservation>),
    Alerts(Vec<Alert>),
}

//! The worker's Monitor requests (metrics over time, deployments, worst calls, a call made into
//! a test case, the badges' breaches) and the background sync.

use crate::domain::metrics::BucketSize;
use crate::tui::event::{MonitorData, MonitorReply, MonitorRequest, Reply};
use crate::workspace::sync::SyncDirection;
use crate::workspace::{Workspace, WorkspaceError};

use super::Settings;

/// How many of the worst calls the view lists.
const WORST_SHOWN: usize = 40;
/// Ranges up to this many hours are drawn per hour; longer ones per day.
const HOURLY_UP_TO: u32 = 48;
/// The prompt list's badges look back this far.
const ALERT_HOURS: i64 = 7 * 24;

pub(super) fn run(
    ws: &mut Workspace,
    settings: &Settings,
    request: MonitorRequest,
) -> Result<MonitorReply, WorkspaceError> {
    let thresholds = &settings.thresholds;
    Ok(match request {
        MonitorRequest::Load(mut query) => {
            let to = query.until.unwrap_or_else(jiff::Timestamp::now);
            let from = to - jiff::SignedDuration::from_hours(i64::from(query.hours));
            let bucket = if query.hours <= HOURLY_UP_TO {
                BucketSize::Hour
            } else {
                BucketSize::Day
            };
            let env = query.env.clone().unwrap_or_else(|| "production".into());
            let mut series =
                ws.metric_series(&query.prompt, &env, (from, to), bucket, thresholds)?;
            if query.env.is_none() && series.points.is_empty() && !series.envs.is_empty() {
                let first = series.envs[0].clone();
                series = ws.metric_series(&query.prompt, &first, (from, to), bucket, thresholds)?;
            }
            query.env = Some(series.env.clone());
            let baseline =
                if series.env != "production" && series.envs.iter().any(|e| e == "production") {
                    Some(ws.metric_series(
                        &query.prompt,
                        "production",
                        (from, to),
                        bucket,
                        thresholds,
                    )?)
                } else {
                    None
                };
            let mut deployments: Vec<_> = ws
                .deployments(&query.prompt)?
                .into_iter()
                .filter(|d| d.env == series.env)
                .collect();
            deployments.sort_by(|a, b| a.at.cmp(&b.at));
            // Ask for more than is shown: calls after a pinned end are dropped.
            let to_ms = to.as_millisecond();
            let worst = ws
                .worst(
                    &query.prompt,
                    Some(&series.env),
                    query.worst,
                    Some(from),
                    WORST_SHOWN * 5,
                )?
                .into_iter()
                .filter(|o| o.epoch_ms() < to_ms)
                .take(WORST_SHOWN)
                .collect();
            MonitorReply::Loaded(Box::new(MonitorData {
                query,
                series,
                baseline,
                deployments,
                worst,
            }))
        }
        MonitorRequest::ToCase { id, dataset } => {
            MonitorReply::CaseCreated(Box::new(ws.observation_to_case(&id, &dataset)?))
        }
        MonitorRequest::Alerts { until } => {
            let to = until.unwrap_or_else(jiff::Timestamp::now);
            let since = to - jiff::SignedDuration::from_hours(ALERT_HOURS);
            MonitorReply::Alerts(ws.alerts_between((since, to), thresholds)?)
        }
    })
}

/// Syncs with the only remote (pull, then push), on a runtime of its own: this runs on a long
/// request's thread, never the UI's.
pub(super) fn sync(ws: &mut Workspace) -> Reply {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return Reply::Synced(Err(format!("sync: cannot start: {e}"))),
    };
    let outcome = runtime.block_on(ws.sync(None, SyncDirection::Both));
    Reply::Synced(
        outcome
            .map(|report| (report.pulled, report.pushed))
            .map_err(|e| e.to_string()),
    )
}

//! The worker's eval and playground requests: run history, reports, comparisons, grades, eval
//! runs with streamed progress, playground calls with streamed answers, saved cases.

use serde_json::json;

use crate::domain::VersionRef;
use crate::eval::runner::Cancel;
use crate::tui::components::edit_view::preview_inputs;
use crate::tui::event::{PlaygroundTarget, Reply, Request};
use crate::workspace::{EvalOptions, Workspace, WorkspaceError};

use super::Settings;

/// How many runs of a prompt the Evals view lists.
const RUN_HISTORY: usize = 200;

pub(super) fn run(
    ws: &mut Workspace,
    settings: &Settings,
    request: Request,
    cancel: &Cancel,
    updates: &mut dyn FnMut(Reply),
) -> Result<Reply, WorkspaceError> {
    Ok(match request {
        Request::Catalog => Reply::Catalog {
            datasets: ws.datasets()?,
            providers: ws.providers()?,
        },
        Request::Runs(prompt) => Reply::Runs {
            runs: ws.runs(Some(prompt.as_str()), RUN_HISTORY)?,
            prompt,
        },
        Request::RunReport(id) => Reply::RunReport(Box::new(ws.run_report(&id)?)),
        Request::RunEval {
            prompt,
            dataset,
            versions,
            providers,
        } => {
            let options = EvalOptions {
                prompt,
                dataset,
                versions,
                providers,
                concurrency: settings.concurrency,
                repeat: 1,
                only_failed: None,
                grader: settings.grader.clone(),
                use_cache: false,
                overrides: json!({}),
                prices: settings.prices.clone(),
            };
            let run = ws.run_eval(
                options,
                &mut |progress, _| updates(Reply::EvalProgress(progress)),
                cancel.clone(),
            )?;
            Reply::EvalFinished(Box::new(run))
        }
        Request::CompareRuns { before, after } => {
            Reply::Comparison(Box::new(ws.compare_runs(&before, &after)?))
        }
        Request::CompareVersions { run, before, after } => {
            Reply::Comparison(Box::new(ws.compare_versions(&run, before, after)?))
        }
        Request::Grade {
            run,
            case,
            version,
            provider,
            pass,
            note,
        } => {
            ws.grade(&run, &case, version, &provider, pass, &note)?;
            Reply::Graded { run }
        }
        Request::Playground {
            name,
            target,
            samples,
            provider,
        } => {
            let content = match target {
                PlaygroundTarget::Draft(content) => content,
                PlaygroundTarget::Version(n) => ws.resolve(&name, VersionRef::Number(n))?.content,
            };
            let inputs = preview_inputs(&ws.variables(&name, &content)?, &samples);
            let call = ws.playground_call(&name, &content, &inputs, &provider)?;
            let answer = call.stream(&settings.prices, cancel, &mut |delta| {
                updates(Reply::PlaygroundDelta(delta.to_string()))
            })?;
            Reply::PlaygroundDone(Box::new(answer))
        }
        Request::SaveCase {
            dataset,
            create,
            case,
        } => {
            if create {
                ws.create_dataset(&dataset, "Cases saved from the playground")?;
            }
            let version = ws.add_case(&dataset, *case)?;
            Reply::CaseSaved { dataset, version }
        }
        other => {
            return Err(WorkspaceError::Refused(format!(
                "the worker cannot answer {other:?}"
            )));
        }
    })
}

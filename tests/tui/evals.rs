//! Key-sequence scenarios of the Evals view on the demo workspace: start a run (its progress
//! streamed back), cancel one, filter and sort results, compare runs and versions, grade a
//! result — asserting on the store.

use galley::domain::eval::RunStatus;
use galley::tui::app::{Focus, View};
use galley::tui::components::evals::{SortBy, effective_pass};
use galley::tui::event::Reply;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use crate::harness::Harness;

/// The demo loaded, support/triage open, the Evals view showing its one demo run.
pub fn triage_evals() -> Harness {
    let mut h = Harness::new();
    h.press("d");
    h.open_prompt("support/triage");
    h.press("4");
    h
}

fn runs(h: &Harness) -> Vec<galley::domain::eval::RunInfo> {
    h.ws.runs(Some("support/triage"), 10).unwrap()
}

/// r, then in the setup popup: the versions list (Tab Tab), tick or untick rows, Enter.
fn start_run(h: &mut Harness, version_keys: &str) {
    h.press("r");
    assert!(h.app.eval_setup.is_some(), "r opens the run setup");
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    for c in version_keys.chars() {
        match c {
            ' ' => h.key(KeyCode::Char(' '), KeyModifiers::NONE),
            other => h.press(&other.to_string()),
        }
    }
    h.enter();
}

#[test]
fn the_evals_view_lists_runs_and_results() {
    let h = triage_evals();
    assert_eq!(h.app.view, View::Evals);
    assert_eq!(h.app.focus, Focus::EvalRuns);
    assert_eq!(h.app.evals.runs.len(), 1, "the demo ran triage once");
    let report = h.app.evals.report.as_ref().expect("the run's results load");
    assert_eq!(report.results.len(), 14, "7 cases × v3, v4");
    assert_eq!(
        h.app.evals.selected_result().unwrap().case_id,
        report.dataset.cases[0].id
    );
}

#[test]
fn start_a_run_with_echo_and_watch_its_progress() {
    let mut h = triage_evals();
    // The setup starts from the last run's dataset and providers, and the latest version.
    start_run(&mut h, "");
    let stored = runs(&h);
    assert_eq!(stored.len(), 2);
    let run = &stored[0];
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(run.dataset, "triage-golden");
    assert_eq!(run.providers, ["echo"]);
    assert_eq!(run.versions, [4]);
    assert_eq!(run.summary.total, 7);

    // Every result streamed back as progress while the run went, tagged with its request.
    let progress: Vec<_> = h
        .streamed
        .iter()
        .filter_map(|(_, r)| match r {
            Reply::EvalProgress(p) => Some(*p),
            _ => None,
        })
        .collect();
    assert_eq!(progress.len(), 7);
    assert_eq!(progress.last().unwrap().done, 7);
    assert_eq!(progress.last().unwrap().total, 7);

    // The finished run is listed and selected, with its results.
    assert!(h.app.evals.live.is_none());
    assert!(
        h.app
            .evals
            .last
            .as_deref()
            .unwrap()
            .contains("Run finished")
    );
    assert_eq!(h.app.evals.runs.len(), 2);
    assert_eq!(h.app.evals.selected_run().unwrap().id, run.id);
    assert_eq!(h.app.evals.report.as_ref().unwrap().run.id, run.id);
}

#[test]
fn two_versions_and_several_providers_multiply() {
    let mut h = triage_evals();
    h.ws.add_provider(
        galley::domain::eval::ProviderConfig::new(
            "echo-2",
            galley::domain::eval::ProviderKind::Echo,
        ),
        false,
    )
    .unwrap();
    h.press("r");
    h.key(KeyCode::Tab, KeyModifiers::NONE); // providers: echo ticked; tick echo-2 too
    h.press("j");
    h.key(KeyCode::Char(' '), KeyModifiers::NONE);
    h.key(KeyCode::Tab, KeyModifiers::NONE); // versions: v4 ticked; tick v3
    h.press("j");
    h.key(KeyCode::Char(' '), KeyModifiers::NONE);
    h.enter();
    let run = &runs(&h)[0];
    assert_eq!(run.versions, [3, 4], "oldest first");
    assert_eq!(run.providers.len(), 2);
    assert_eq!(run.summary.total, 28);
}

#[test]
fn the_setup_refuses_an_empty_choice() {
    let mut h = triage_evals();
    start_run(&mut h, " "); // untick v4: nothing to run
    assert!(h.app.eval_setup.is_some(), "still open, with the error");
    assert_eq!(runs(&h).len(), 1);
    h.esc();
    assert!(h.app.eval_setup.is_none());
}

#[test]
fn esc_cancels_a_run_and_keeps_what_finished() {
    let mut h = triage_evals();
    h.press("r");
    // Enter starts the run, but the worker has not answered yet…
    h.hold(KeyCode::Enter, KeyModifiers::NONE);
    let live = h.app.evals.live.clone().expect("a live run");
    assert_eq!(live.progress.total, 7, "the gauge knows the size up front");
    // …Esc asks for a cancel, which the worker honours when it gets to it.
    h.esc();
    assert!(h.cancelled.contains(&live.request));
    assert!(h.app.evals.live.as_ref().unwrap().cancelling);
    h.release();
    let run = &runs(&h)[0];
    assert_eq!(run.status, RunStatus::Cancelled);
    let kept = h.ws.run_report(&run.id).unwrap().results.len();
    assert_eq!(run.summary.total, kept, "every finished result is kept");
    assert!(h.app.evals.live.is_none());
    assert!(h.app.evals.last.as_deref().unwrap().contains("cancelled"));
}

#[test]
fn filter_to_failures_and_sort() {
    let mut h = triage_evals();
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(h.app.focus, Focus::EvalResults);
    h.press("f");
    let report = h.app.evals.report.clone().unwrap();
    let visible = h.app.evals.visible();
    assert_eq!(visible.len(), 3, "the demo run has three failures");
    assert!(visible.iter().all(|&i| !effective_pass(&report.results[i])));
    assert!(!effective_pass(h.app.evals.selected_result().unwrap()));
    h.press("f");
    assert_eq!(h.app.evals.visible().len(), 14);

    // s cycles the sort: by verdict puts the failures first.
    h.press("s");
    assert_eq!(h.app.evals.sort, SortBy::Verdict);
    let visible = h.app.evals.visible();
    assert!(visible[..3].iter().all(|&i| !report.results[i].pass));
    h.press("ssss");
    assert_eq!(h.app.evals.sort, SortBy::Case);

    // Enter shows the case's detail; j scrolls it; Esc goes back to the table.
    h.press("j");
    h.enter();
    assert_eq!(h.app.focus, Focus::EvalDetail);
    h.press("jj");
    assert_eq!(h.app.evals.detail_scroll, 2);
    h.esc();
    assert_eq!(h.app.focus, Focus::EvalResults);
}

#[test]
fn compare_two_runs_then_two_versions() {
    let mut h = triage_evals();
    // A run of v3 alone: the refund case fails there and passes in v4.
    start_run(&mut h, " j ");
    assert_eq!(runs(&h)[0].versions, [3]);
    // c compares the selected run (#2, v3) with the one before it (#1, whose latest is v4).
    h.press("c");
    let view = h.app.evals.comparison.as_ref().expect("a comparison");
    assert_eq!(h.app.focus, Focus::EvalCompare);
    assert_eq!(
        (view.before.as_str(), view.after.as_str()),
        ("#1 v4", "#2 v3")
    );
    let cmp = &view.comparison;
    assert_eq!(cmp.matched, 7);
    assert_eq!(cmp.regressions(), 1);
    assert!(cmp.flips[0].is_regression());
    assert_eq!(cmp.flips[0].description, "refund after cancelling");
    assert!(cmp.pass_rate_delta < 0.0);

    // Esc closes it; Space marks #2, j selects #1, c compares them (older first).
    h.esc();
    assert!(h.app.evals.comparison.is_none());
    h.key(KeyCode::Char(' '), KeyModifiers::NONE);
    h.press("j");
    h.press("c");
    let view = h.app.evals.comparison.as_ref().unwrap();
    assert_eq!(
        (view.before.as_str(), view.after.as_str()),
        ("#1 v4", "#2 v3")
    );

    // C compares the two versions within run #1: v3 → v4 fixed the refund case.
    h.esc();
    h.press("C");
    let view = h.app.evals.comparison.as_ref().unwrap();
    assert_eq!(
        (view.before.as_str(), view.after.as_str()),
        ("#1 v3", "#1 v4")
    );
    assert_eq!(view.comparison.regressions(), 0);
    assert_eq!(view.comparison.flips.len(), 1);
    assert!(view.comparison.pass_rate_delta > 0.0);
}

#[test]
fn grade_a_result_by_hand() {
    let mut h = triage_evals();
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.press("f"); // the failures; the first is "refund after cancelling" v3
    let result = h.app.evals.selected_result().unwrap().clone();
    assert!(!result.pass);
    h.press("h");
    // The verdict starts on the current one (fail); k picks pass.
    h.press("k");
    h.enter();
    h.press("The label is right; the assertion is too strict");
    h.enter();
    let run = h.app.evals.report.as_ref().unwrap().run.id.clone();
    let stored = h.ws.run_report(&run).unwrap();
    let graded = stored
        .results
        .iter()
        .find(|r| {
            r.case_id == result.case_id
                && r.version == result.version
                && r.provider == result.provider
        })
        .unwrap();
    let human = graded.human.as_ref().expect("the grade is stored");
    assert!(human.pass);
    assert!(!graded.pass, "the automatic verdict is kept beside it");
    assert_eq!(
        human.note,
        "The label is right; the assertion is too strict"
    );
    assert_eq!(human.by, "ada");
    // The view reloaded: the result now counts as passed, so it left the failures filter.
    let shown = h.app.evals.report.as_ref().unwrap();
    assert!(shown.results.iter().any(|r| r.human.is_some()));
    assert_eq!(h.app.evals.visible().len(), 2);
}

//! Everything a user can do in the workbench, by name. Keys map to these (see `keymap`), the
//! palette lists them, and the help overlay describes them.

use std::fmt;
use std::str::FromStr;

macro_rules! actions {
    ($($variant:ident => $name:literal, $description:literal;)*) => {
        /// A user action.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            /// Every action, in help order.
            pub const ALL: &[Action] = &[$(Action::$variant,)*];

            /// The action's name, as written in keymaps and shown in the palette.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            /// One line saying what the action does.
            pub fn description(self) -> &'static str {
                match self {
                    $(Action::$variant => $description,)*
                }
            }
        }
    };
}

actions! {
    Quit => "quit", "Quit (drafts are saved first)";
    ForceQuit => "force-quit", "Quit from anywhere (drafts are saved first)";
    Help => "help", "Show every key binding";
    Palette => "palette", "Search and run any action";
    FocusNext => "focus-next", "Move focus to the next pane";
    FocusPrev => "focus-prev", "Move focus to the previous pane";
    Back => "back", "Leave the current mode or close the popup";
    ViewEdit => "view-edit", "Show the Edit view";
    ViewHistory => "view-history", "Show the History view";
    ViewDiff => "view-diff", "Show the Diff view";
    ViewEvals => "view-evals", "Show the Evals view (runs, results, comparisons)";
    ViewReview => "view-review", "Show the Review view (requests awaiting you, and yours)";
    ViewDeploy => "view-deploy", "Show the Deploy view (prompts × environments)";
    ViewMonitor => "view-monitor", "Show the Monitor view (production metrics, worst calls)";
    Up => "up", "Move up";
    Down => "down", "Move down";
    Left => "left", "Move left";
    Right => "right", "Move right";
    PageUp => "page-up", "Move up a page";
    PageDown => "page-down", "Move down a page";
    Top => "top", "Go to the top";
    Bottom => "bottom", "Go to the bottom";
    Open => "open", "Open or edit the selected item";
    Filter => "filter", "Filter the prompt list (fuzzy)";
    NewPrompt => "new-prompt", "Create a prompt from a template";
    ImportFolder => "import", "Import prompt files from a folder";
    LoadDemo => "load-demo", "Load the demo prompts";
    Commit => "commit", "Commit the draft as a new version";
    DiscardDraft => "discard-draft", "Throw away your draft";
    EditBody => "edit-body", "Edit the selected section's text";
    SectionAdd => "section-add", "Add a section after the selected one";
    SectionDelete => "section-delete", "Delete the selected section";
    SectionRename => "section-rename", "Rename the selected section";
    SectionMoveUp => "section-move-up", "Move the selected section up";
    SectionMoveDown => "section-move-down", "Move the selected section down";
    SectionKind => "section-kind", "Change the selected section's kind";
    SectionRole => "section-role", "Change the selected section's chat role";
    EditConfig => "edit-config", "Edit the model config (JSON)";
    EditVariable => "edit-variable", "Edit the selected variable's declaration";
    EditSample => "edit-sample", "Set the preview's sample value for the selected variable";
    Search => "search", "Search within the section";
    SearchNext => "search-next", "Next search match";
    SearchPrev => "search-prev", "Previous search match";
    HistoryMark => "history-mark", "Mark the selected version for a diff";
    HistoryDiff => "history-diff", "Diff the marked version (or the previous one) with the selected";
    HistoryDiffDraft => "history-diff-draft", "Diff the selected version with your draft";
    HistoryRestore => "history-restore", "Restore the selected version into your draft";
    HistoryDiffEnv => "history-diff-env", "Diff the selected version against what an environment serves";
    DiffDraft => "diff-draft", "Diff your draft against the latest version";
    DiffNextChange => "diff-next-change", "Jump to the next change";
    DiffPrevChange => "diff-prev-change", "Jump to the previous change";
    DiffToggleFold => "diff-toggle-fold", "Fold or unfold unchanged lines";
    DiffToggleUnified => "diff-toggle-unified", "Switch between side-by-side and unified";
    DiffToggleWhitespace => "diff-toggle-whitespace", "Ignore or show white space changes";
    EvalRun => "eval-run", "Start an eval run: pick a dataset, providers and versions";
    EvalMark => "eval-mark", "Mark the selected run to compare it with another";
    EvalCompare => "eval-compare", "Compare the marked (or previous) run with the selected";
    EvalCompareVersions => "eval-compare-versions", "Compare two versions within the selected run";
    EvalSort => "eval-sort", "Sort the results by the next column";
    EvalFailures => "eval-failures", "Show only failures and errors (again: show all)";
    EvalGrade => "eval-grade", "Grade the selected result yourself: pass/fail and a note";
    PlaygroundRun => "playground-run", "Run the draft on the sample values in the playground";
    PlaygroundRunVersion => "playground-run-version", "Run the latest (or History's marked) version beside it";
    PlaygroundProvider => "playground-provider", "Choose the playground's provider";
    PlaygroundSaveCase => "playground-save-case", "Save the playground input as a test case in a dataset";
    PlaygroundClose => "playground-close", "Hide the playground (the preview shows again)";
    ReviewRequest => "review-request", "Ask for a review of the selected version for an environment";
    ReviewApprove => "review-approve", "Approve the version under review (with a comment)";
    ReviewReject => "review-reject", "Reject the version under review (with a comment)";
    ReviewRequestChanges => "review-request-changes", "Ask for changes to the version under review (with a comment)";
    ReviewDiffEnv => "review-diff-env", "Diff the version under review against what another environment serves";
    CommentAdd => "comment-add", "Comment on the diff's top line (its section and line)";
    CommentReply => "comment-reply", "Reply to the selected comment thread";
    CommentResolve => "comment-resolve", "Resolve the selected comment thread";
    DeployVersion => "deploy", "Deploy a version of the selected prompt to the selected environment";
    DeployPromote => "promote", "Promote what the environment to the left serves to the selected one";
    DeployRollback => "rollback", "Roll the selected environment back to its previous deployment";
    MonitorEnvNext => "monitor-env-next", "Show the next environment's production calls";
    MonitorEnvPrev => "monitor-env-prev", "Show the previous environment's production calls";
    MonitorRange => "monitor-range", "Cycle the time range: 24h, 7d, 30d, 90d";
    MonitorWorst => "monitor-worst", "Cycle the worst calls listed: errors, negative feedback, slowest";
    MonitorToCase => "monitor-to-case", "Turn the selected call into a test case of a dataset";
    MonitorEdit => "monitor-edit", "Open the prompt in the editor (refine it)";
    UnlockKey => "unlock-key", "Unlock your signing key now (asks for its passphrase)";
    Refresh => "refresh", "Reload from the workspace file";
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.name() == s.trim())
            .ok_or_else(|| format!("unknown action `{s}`"))
    }
}

//! The command line: parses arguments, calls the workspace, prints the answer. No business rule
//! lives here. Exit codes: 0 ok, 1 the operation failed, 2 usage error, 75 the workspace file
//! is busy (another process holds its write lock: try again).

mod authoring;
mod comments;
mod datasets;
mod deploy;
mod diff_print;
mod evals;
mod exchange;
mod history;
mod keys;
mod monitor;
mod observe;
mod output;
mod people;
mod prompts;
mod providers;
mod render;
mod serve;
mod sync;
mod user_keys;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::domain::{PromptName, VersionRef};
use crate::workspace::{Config, Identity, Workspace};

/// galley: a terminal workbench for the whole life of an LLM prompt.
///
/// Author, test, review, deploy, monitor and refine prompts, offline, on one SQLite file.
#[derive(Parser, Debug)]
#[command(name = "galley", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// The workspace file [default: $GALLEY_DB, the config's workspace.db, or galley.db in the data dir]
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Act as this user [default: $GALLEY_USER, the config's user.name, git's user.name, the OS account]
    #[arg(long, global = true, value_name = "NAME")]
    user: Option<String>,
    /// Print JSON for scripts instead of human output
    #[arg(long, global = true)]
    json: bool,
    /// Sign with this private key file [default: $GALLEY_SIGNING_KEY, the config's
    /// user.signing_key, else the ssh-agent at $SSH_AUTH_SOCK]
    #[arg(long, global = true, value_name = "PATH")]
    signing_key: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create the workspace file (opening one also creates it)
    Init,
    /// Create a prompt (version 1), blank or from a template
    New(prompts::NewArgs),
    /// List the starting templates
    Templates,
    /// List prompts
    List(prompts::ListArgs),
    /// Show a prompt: sections, variables, config
    Show(prompts::ShowArgs),
    /// Edit a prompt's draft in $EDITOR
    Edit(authoring::EditArgs),
    /// Set one section's body in the draft
    Set(authoring::SetArgs),
    /// Commit the draft as the next version
    Commit(authoring::CommitArgs),
    /// Throw away your draft of a prompt
    Discard(NameArg),
    /// List a prompt's versions
    Log(NameArg),
    /// Section-aware diff between two versions (or a version and `draft`)
    Diff(history::DiffArgs),
    /// Render a prompt with variables
    Render(render::RenderArgs),
    /// Export a prompt (or all prompts) as Markdown files
    Export(exchange::ExportArgs),
    /// Import prompt files or a folder of them
    Import(exchange::ImportArgs),
    /// Fill the workspace with demo prompts and their history
    Demo,
    /// The audit trail: log (the default), verify, export
    Audit(history::AuditArgs),
    /// Datasets of test cases: new, import, export, list, show, add, rm
    #[command(subcommand)]
    Dataset(datasets::DatasetCommand),
    /// Model providers: add, list, show, rm, test
    #[command(subcommand)]
    Provider(providers::ProviderCommand),
    /// Evaluations: run, list, show, compare, grade
    #[command(subcommand)]
    Eval(evals::EvalCommand),
    /// Users, roles, groups and SSH keys: add, list, grant, revoke, override, key
    #[command(subcommand)]
    User(people::UserCommand),
    /// Environments: add, list
    #[command(subcommand)]
    Env(people::EnvCommand),
    /// Approval policies per environment: set, show
    #[command(subcommand)]
    Policy(people::PolicyCommand),
    /// Deploy a version to an environment, through its policy
    Deploy(deploy::DeployArgs),
    /// Deploy what one environment serves to another, through its policy
    Promote(deploy::PromoteArgs),
    /// Roll an environment back to its previous deployment
    Rollback(deploy::RollbackArgs),
    /// Which version each environment serves; `envs NAME --history` for a prompt's deployments
    Envs(deploy::EnvsArgs),
    /// Reviews: request, list, show, approve, reject, request-changes
    #[command(subcommand)]
    Review(deploy::ReviewCommand),
    /// Comment threads on a version: add (or reply), list, resolve
    #[command(subcommand)]
    Comment(comments::CommentCommand),
    /// A prompt's production metrics per version or day, with threshold breaches
    Monitor(monitor::MonitorArgs),
    /// Production observations: import, list, show, feedback, to-case
    #[command(subcommand)]
    Observe(observe::ObserveCommand),
    /// API keys of the delivery server: create, list, revoke
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Run the delivery server on the workspace file (see README: Delivery server)
    Serve(serve::ServeArgs),
    /// Remotes to sync with: add, list
    #[command(subcommand)]
    Remote(sync::RemoteCommand),
    /// Sync with a remote: push, pull, status
    Sync(sync::SyncArgs),
}

/// A prompt name argument.
#[derive(Args, Debug)]
struct NameArg {
    /// The prompt, e.g. support/triage
    #[arg(value_parser = parse_name)]
    name: PromptName,
}

/// Which version a command reads: `--version N|latest|draft`, or `--draft`.
#[derive(Args, Debug, Clone, Copy)]
struct VersionChoice {
    /// A version number, `latest` or `draft`
    #[arg(long, short = 'v', value_name = "N", value_parser = parse_version, conflicts_with = "draft")]
    version: Option<VersionRef>,
    /// Use your draft
    #[arg(long)]
    draft: bool,
}

impl VersionChoice {
    fn or(self, default: VersionRef) -> VersionRef {
        if self.draft {
            VersionRef::Draft
        } else {
            self.version.unwrap_or(default)
        }
    }
}

fn parse_name(s: &str) -> Result<PromptName, String> {
    PromptName::parse(s).map_err(|e| e.to_string())
}

fn parse_version(s: &str) -> Result<VersionRef, String> {
    s.parse()
}

/// Runs galley with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let mut stderr = anstream::stderr();
            let _ = std::io::Write::write_fmt(
                &mut stderr,
                format_args!("{} {err:#}\n", output::paint(output::BAD.bold(), "error:")),
            );
            ExitCode::from(if is_busy(&err) { EXIT_BUSY } else { 1 })
        }
    }
}

/// The exit code of a command refused because another process held the file's write lock
/// (sysexits' `EX_TEMPFAIL`: try again).
const EXIT_BUSY: u8 = 75;

fn is_busy(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<crate::workspace::WorkspaceError>()
            .is_some_and(|w| w.is_busy())
            || e.downcast_ref::<crate::store::StoreError>()
                .is_some_and(|s| s.is_busy())
    })
}

struct Ctx {
    json: bool,
    workspace: Workspace,
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if matches!(cli.command, Some(Command::Templates)) {
        return prompts::templates(cli.json);
    }
    let config = Config::load()?;
    let path = config.workspace_path(cli.db.as_deref())?;
    let command = match cli.command {
        Some(Command::Serve(args)) => return serve::serve(args, cli.db.as_deref(), path),
        Some(Command::Key(command)) => {
            return keys::run(&config, &path, cli.user.as_deref(), cli.json, command);
        }
        other => other,
    };
    let me = config.identity(cli.user.as_deref())?;
    let Some(command) = command else {
        // The workbench opens the file itself: check the identity first.
        drop(open_as(&path, &me)?);
        // The same key as the CLI's, without a terminal prompt: the workbench asks in a popup.
        let signer = crate::signer::KeySource::from_environment(
            cli.signing_key,
            config.user.signing_key.clone(),
        );
        return crate::tui::terminal::run(&path, &me.user, &config.keymap, signer);
    };
    let mut workspace = open_as(&path, &me)?;
    workspace.set_render_budget(config.render);
    workspace.set_import_limits(config.import);
    workspace.set_signer(user_keys::key_source(cli.signing_key, &config));
    let mut ctx = Ctx {
        json: cli.json,
        workspace,
    };
    match command {
        Command::Init => prompts::init(&ctx),
        Command::New(args) => prompts::new(&mut ctx, args),
        Command::Templates => unreachable!("handled before opening a workspace"),
        Command::List(args) => prompts::list(&ctx, args),
        Command::Show(args) => prompts::show(&ctx, args),
        Command::Edit(args) => authoring::edit(&mut ctx, args),
        Command::Set(args) => authoring::set(&mut ctx, args),
        Command::Commit(args) => authoring::commit(&mut ctx, args),
        Command::Discard(args) => authoring::discard(&mut ctx, args),
        Command::Log(args) => history::log(&ctx, args),
        Command::Diff(args) => history::diff(&ctx, args),
        Command::Render(args) => render::render(&ctx, args),
        Command::Export(args) => exchange::export(&ctx, args),
        Command::Import(args) => exchange::import(&mut ctx, args),
        Command::Demo => exchange::demo(&mut ctx),
        Command::Audit(args) => history::audit(&mut ctx, args),
        Command::Dataset(command) => datasets::run(&mut ctx, command),
        Command::Provider(command) => providers::run(&mut ctx, command),
        Command::Eval(command) => evals::run(&mut ctx, &config, command),
        Command::User(command) => people::user(&mut ctx, command),
        Command::Env(command) => people::env(&mut ctx, command),
        Command::Policy(command) => people::policy(&mut ctx, command),
        Command::Deploy(args) => deploy::deploy(&mut ctx, args),
        Command::Promote(args) => deploy::promote(&mut ctx, args),
        Command::Rollback(args) => deploy::rollback(&mut ctx, args),
        Command::Envs(args) => deploy::envs(&ctx, args),
        Command::Review(command) => deploy::review(&mut ctx, command),
        Command::Comment(command) => comments::run(&mut ctx, command),
        Command::Monitor(args) => monitor::monitor(&ctx, &config, args),
        Command::Observe(command) => observe::run(&mut ctx, &config, command),
        Command::Key(_) | Command::Serve(_) => unreachable!("handled before opening a workspace"),
        Command::Remote(command) => sync::remote(&mut ctx, command),
        Command::Sync(args) => sync::sync(&mut ctx, args),
    }
}

/// Opens the workspace as `me`, refusing an identity that is not theirs to take.
fn open_as(path: &std::path::Path, me: &Identity) -> crate::workspace::Result<Workspace> {
    Workspace::open_as(path, &me.user, me.overridden, Some(&me.account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }
}

//! Delivery: what an environment serves, in the shape clients fetch it (the native API and the
//! Langfuse-compatible one), rendering it, and publishing versions and moving environments on
//! behalf of an API key's principal, through the same policies as any deployment.

use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::langfuse::{DEFAULT_LABEL, LATEST};
use crate::domain::served::{TemplateForm, template_form};

use super::delivery_signatures::DeliveryTrust;
use crate::domain::{PromptContent, PromptName, PromptType, VariableUse, VersionRef};
use crate::template::VarInputs;

use super::render::RenderOutput;
use super::{Result as WsResult, Workspace, WorkspaceError, checked, commit_version, now};

/// Why a delivery request cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("no environment {env} (have: {have})")]
    NoEnvironment { env: String, have: String },
    #[error("{env} serves no version of {name}")]
    NotServed { name: PromptName, env: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    PolicyRefused(String),
    /// The stored text of a version no longer hashes to its recorded hash: it was changed
    /// outside galley, so nobody serves it.
    #[error(
        "version {version} of {name} is not served: its stored content hashes to {actual}, not \
         to its recorded hash {recorded} (changed outside galley)"
    )]
    ContentMismatch {
        name: PromptName,
        version: u32,
        recorded: String,
        actual: String,
    },
    /// The environment requires signatures and the deployment it would serve does not carry
    /// one that holds: nobody serves it until a signed deployment replaces it.
    #[error("{env} does not serve version {version} of {name}: {reason}")]
    UnverifiedDeployment {
        name: PromptName,
        env: String,
        version: u32,
        reason: String,
    },
}

/// `Ok` when `content` still hashes to `recorded`, the hash version `version` of `name` was
/// committed (and approved) under.
fn check_content_hash(
    name: &PromptName,
    version: u32,
    content: &PromptContent,
    recorded: &str,
) -> Result<()> {
    let actual = content.content_hash();
    if actual == recorded {
        return Ok(());
    }
    Err(DeliveryError::ContentMismatch {
        name: name.clone(),
        version,
        recorded: recorded.to_string(),
        actual,
    })
}

type Result<T> = std::result::Result<T, DeliveryError>;

/// One version of a prompt as clients fetch it, with everything both APIs need.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveredPrompt {
    pub name: PromptName,
    pub version: u32,
    pub content_hash: String,
    pub prompt_type: PromptType,
    /// The template, unrendered, includes inlined.
    pub template: TemplateForm,
    pub config: Value,
    /// Declared and used variables.
    pub variables: Vec<VariableUse>,
    /// The environments serving this version, in environment order.
    pub environments: Vec<String>,
    /// Whether this is the prompt's highest version.
    pub is_latest: bool,
    pub tags: Vec<String>,
    pub message: String,
}

/// One prompt an environment serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServedPrompt {
    pub name: String,
    pub version: u32,
    pub content_hash: String,
}

/// Everything an environment serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    pub environment: String,
    pub prompts: Vec<ServedPrompt>,
}

/// Which version a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// What an environment serves (a Langfuse label; `latest` is the highest version).
    Environment(String),
    /// A version number.
    Version(u32),
}

impl Pick {
    /// The Langfuse reading of `label=` / `version=`: neither means label `production`.
    pub fn from_langfuse(label: Option<&str>, version: Option<u32>) -> Self {
        match (version, label) {
            (Some(n), _) => Pick::Version(n),
            (None, Some(label)) => Pick::Environment(label.to_string()),
            (None, None) => Pick::Environment(DEFAULT_LABEL.to_string()),
        }
    }
}

impl Workspace {
    fn check_environment(&self, env: &str) -> Result<()> {
        let envs = self
            .store
            .read()
            .environments()
            .map_err(WorkspaceError::from)?;
        if envs.iter().any(|e| e == env) {
            Ok(())
        } else {
            Err(DeliveryError::NoEnvironment {
                env: env.to_string(),
                have: envs.join(", "),
            })
        }
    }

    /// The version number `pick` designates for `name`.
    pub fn pick_version(&self, name: &PromptName, pick: &Pick) -> Result<u32> {
        let summary = self.summary(name)?;
        match pick {
            Pick::Version(n) => Ok(*n),
            Pick::Environment(label) if label == LATEST => summary
                .latest_version
                .ok_or_else(|| DeliveryError::Invalid(format!("{name} has no versions"))),
            Pick::Environment(env) => {
                self.check_environment(env)?;
                self.served_to_clients(name, env)?
                    .ok_or_else(|| DeliveryError::NotServed {
                        name: name.clone(),
                        env: env.clone(),
                    })
            }
        }
    }

    /// Version `number` of `name`, as clients fetch it.
    pub fn delivered(&self, name: &PromptName, number: u32) -> Result<DeliveredPrompt> {
        let version = self.version(name, number)?;
        check_content_hash(name, number, &version.content, &version.content_hash)?;
        let summary = self.summary(name)?;
        let snippets = self.snippets_for(name, &version.content)?;
        // Clients that only substitute variables get every include inlined, or an error.
        let inlined = self
            .budgeted_template(name, &version.content, &snippets)?
            .inlined()
            .map_err(WorkspaceError::from)?;
        let variables = self.variables(name, &version.content)?;
        let mut environments = Vec::new();
        for env in self
            .store
            .read()
            .environments()
            .map_err(WorkspaceError::from)?
        {
            // An environment whose deployment does not verify serves nothing, so it is not
            // named either.
            if matches!(self.served_to_clients(name, &env), Ok(Some(n)) if n == number) {
                environments.push(env);
            }
        }
        Ok(DeliveredPrompt {
            template: template_form(&inlined),
            prompt_type: version.content.prompt_type,
            config: version.content.config.clone(),
            variables,
            environments,
            is_latest: summary.latest_version == Some(number),
            tags: summary.tags,
            message: version.message,
            content_hash: version.content_hash,
            version: number,
            name: name.clone(),
        })
    }

    /// What environment `env` serves of `name`.
    pub fn delivered_in(&self, name: &PromptName, env: &str) -> Result<DeliveredPrompt> {
        let number = self.pick_version(name, &Pick::Environment(env.to_string()))?;
        self.delivered(name, number)
    }

    /// Every prompt environment `env` serves, by name.
    pub fn listing(&self, env: &str) -> Result<Listing> {
        self.check_environment(env)?;
        let matrix = self.env_matrix()?;
        let column = matrix.environments.iter().position(|e| e == env);
        let tx = self.store.read();
        let trust = DeliveryTrust::load(&tx, env)?;
        let mut prompts = Vec::new();
        for row in matrix.prompts {
            if column.and_then(|i| row.served[i].1).is_none() {
                continue;
            }
            let name = PromptName::parse(&row.prompt).map_err(WorkspaceError::from)?;
            let Some(current) = tx
                .current_deployment(name.as_str(), env)
                .map_err(WorkspaceError::from)?
            else {
                continue;
            };
            let version = trust.served(&name, &current)?;
            let served = self.version(&name, version)?;
            check_content_hash(&name, version, &served.content, &served.content_hash)?;
            let content_hash = served.content_hash;
            prompts.push(ServedPrompt {
                name: row.prompt,
                version,
                content_hash,
            });
        }
        Ok(Listing {
            environment: env.to_string(),
            prompts,
        })
    }

    /// Renders the version `pick` designates with `variables`.
    pub fn render_picked(
        &self,
        name: &PromptName,
        pick: &Pick,
        variables: &VarInputs,
    ) -> Result<RenderOutput> {
        let number = self.pick_version(name, pick)?;
        let version = self.version(name, number)?;
        check_content_hash(name, number, &version.content, &version.content_hash)?;
        Ok(self.render(name, VersionRef::Number(number), variables)?)
    }

    /// Stores `content` as the next version of `name` (creating the prompt if needed; the same
    /// content as the latest version is not stored twice), sets its tags when given, then
    /// deploys it to each of `environments` through their policies. Returns the version number.
    pub fn publish(
        &mut self,
        name: &PromptName,
        content: PromptContent,
        tags: Option<&[String]>,
        message: &str,
        environments: &[String],
    ) -> Result<u32> {
        let content = checked(name, content)?;
        crate::template::Template::compile(&content, &Default::default())
            .map_err(WorkspaceError::from)?;
        self.check_render_budget(name, &content)?;
        refuse_latest(environments)?;
        for env in environments {
            self.check_environment(env)?;
        }
        let user = self.user.clone();
        let message = Some(message.trim())
            .filter(|m| !m.is_empty())
            .unwrap_or("Published through the API")
            .to_string();
        let tag_list = tags.map(super::normalize_tags);
        let number = self.store.write(|tx| -> WsResult<u32> {
            let at = now();
            let Some(row) = tx.prompt(name)? else {
                let tags = tag_list.clone().unwrap_or_default();
                let id = tx.insert_prompt(name, &content, &tags, &user, &at)?;
                tx.append_audit(
                    &user,
                    &at,
                    "prompt.create",
                    name.as_str(),
                    &json!({"type": content.prompt_type, "tags": tags, "via": "api"}),
                )?;
                return Ok(
                    commit_version(tx, id, name, &content, &user, &at, &message, 1, None)?.number,
                );
            };
            let latest = row.latest_version.unwrap_or(0);
            if row.latest_hash.as_deref() == Some(content.content_hash().as_str()) {
                return Ok(latest);
            }
            let snippets = super::render::snippets_in(tx, name, &content)?;
            crate::template::Template::compile(&content, &snippets)?;
            let parent = Some(latest).filter(|n| *n > 0);
            Ok(commit_version(
                tx,
                row.id,
                name,
                &content,
                &user,
                &at,
                &message,
                latest + 1,
                parent,
            )?
            .number)
        })?;
        if let Some(tags) = tag_list {
            self.set_tags(name, &tags)?;
        }
        match self.move_environments(name, number, environments) {
            Err(DeliveryError::PolicyRefused(reasons)) => Err(DeliveryError::PolicyRefused(
                format!("version {number} of {name} is stored, but {reasons}"),
            )),
            other => other.map(|()| number),
        }
    }

    /// Makes each of `environments` serve version `number` of `name`, through their policies
    /// (`latest` is refused: it is implied by being the highest version). All or nothing: when
    /// one policy refuses, nothing moves and every unmet requirement is named.
    pub fn move_environments(
        &mut self,
        name: &PromptName,
        number: u32,
        environments: &[String],
    ) -> Result<()> {
        self.version(name, number)?;
        refuse_latest(environments)?;
        for env in environments {
            self.check_environment(env)?;
        }
        match self.deploy_many(name, number, environments) {
            Ok(_) => Ok(()),
            Err(WorkspaceError::Refused(reasons)) => Err(DeliveryError::PolicyRefused(reasons)),
            Err(e) => Err(e.into()),
        }
    }
}

/// `latest` always names the highest version: it cannot be set, so a request that names it is
/// refused before anything is stored.
fn refuse_latest(environments: &[String]) -> Result<()> {
    if environments.iter().any(|e| e == LATEST) {
        return Err(DeliveryError::Invalid(format!(
            "the label `{LATEST}` cannot be set: it always names the highest version"
        )));
    }
    Ok(())
}

//! The pure core: prompts, sections, variables, versions. No I/O here.

pub mod checkpoint;
pub mod content;
pub mod deployment;
pub mod echo;
pub mod eval;
pub mod keys;
pub mod langfuse;
pub mod metrics;
pub mod name;
pub mod observation;
pub mod otlp;
pub mod people;
pub mod policy;
pub mod section;
pub mod selector;
pub mod served;
pub mod sshsig;
pub mod statement;
pub mod thresholds;
pub mod variable;
pub mod version;

pub use content::{PromptContent, PromptType, STANDARD_KINDS, is_identifier};
pub use name::{NameError, PromptName};
pub use section::{MessageRole, Section, SectionKind};
pub use selector::VersionRef;
pub use variable::{VarType, VariableDecls, VariableSpec, VariableUse, variable_uses};
pub use version::{Draft, PromptSummary, Version, VersionInfo};

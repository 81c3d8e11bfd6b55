//! The prompts the monitoring benchmarks' traffic names: `bench/prompt-00` to `-19`, each with
//! versions 1 to 3, so every seeded observation names a prompt, version and environment the
//! workspace holds (ingestion refuses the others); and prompts made the same way for the sync
//! benchmark.

use galley::domain::{PromptContent, PromptName, PromptType};
use galley::workspace::Workspace;

/// How many prompts the traffic spreads over, and the versions each has.
pub const PROMPTS: u64 = 20;
pub const VERSIONS: u64 = 3;

/// The name of monitored prompt `i`.
pub fn prompt_name(i: u64) -> String {
    format!("bench/prompt-{i:02}")
}

/// Creates the monitored prompts in `ws` with their versions.
pub fn create_monitored_prompts(ws: &mut Workspace) {
    create_prompts(ws, (0..PROMPTS).map(prompt_name), VERSIONS);
}

/// Creates each of `names` in `ws` with versions 1 to `versions` (each a different body).
pub fn create_prompts(ws: &mut Workspace, names: impl Iterator<Item = String>, versions: u64) {
    for name in names {
        let name = PromptName::parse(&name).unwrap();
        ws.create_prompt(&name, PromptContent::blank(PromptType::Text), &[], "v1")
            .unwrap();
        for v in 2..=versions {
            ws.set_section_body(&name, "instructions", &format!("Answer, take {v}."))
                .unwrap();
            ws.commit(&name, &format!("v{v}"), false).unwrap();
        }
    }
}

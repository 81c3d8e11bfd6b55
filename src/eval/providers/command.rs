//! The command provider: a local program through `sh -c`, the prompt on its stdin, the answer
//! on its stdout — for offline and custom models.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use tokio::io::AsyncWriteExt;

use super::params::api_params;
use super::{ProviderError, ProviderRequest, ProviderResponse, one_line};
use crate::domain::MessageRole;
use crate::domain::eval::ProviderConfig;
use crate::template::ChatMessage;

/// Runs the command once. A non-zero exit is an error with the first line of stderr; past the
/// timeout the command (and whatever it started) is killed.
pub(super) async fn run(
    config: &ProviderConfig,
    req: &ProviderRequest,
    timeout: Duration,
) -> Result<ProviderResponse, ProviderError> {
    let name = &config.name;
    let command = config.command.as_deref().unwrap_or_default();
    let input = if config.json_input {
        let mut input =
            json!({"messages": req.messages, "params": api_params(&req.params)}).to_string();
        input.push('\n');
        input
    } else {
        prompt_text(&req.messages)
    };
    let started = Instant::now();
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own process group, so a timeout can kill what the shell started too.
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = cmd.spawn().map_err(|e| {
        ProviderError::Command(format!(
            "command provider `{name}` could not start `sh -c {command}`: {e}"
        ))
    })?;
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let write = async move {
        // A command that does not read its input closes the pipe early: not an error.
        let _ = stdin.write_all(input.as_bytes()).await;
        let _ = stdin.shutdown().await;
    };
    let run = async {
        let ((), output) = tokio::join!(write, child.wait_with_output());
        output
    };
    let output = match tokio::time::timeout(timeout, run).await {
        Ok(output) => {
            output.map_err(|e| ProviderError::Command(format!("command provider `{name}`: {e}")))?
        }
        Err(_) => {
            if let Some(pid) = pid {
                kill_group(pid).await;
            }
            return Err(ProviderError::Timeout {
                secs: timeout.as_secs(),
            });
        }
    };
    if !output.status.success() {
        let status = match output.status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_string(),
        };
        let stderr = one_line(&String::from_utf8_lossy(&output.stderr), None);
        let stderr = if stderr.is_empty() {
            "(nothing on stderr)".to_string()
        } else {
            stderr
        };
        return Err(ProviderError::Command(format!(
            "command provider `{name}` {status}: {stderr} (run its command by hand to see all its output)"
        )));
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.truncate(text.trim_end_matches(['\n', '\r']).len());
    let model = req
        .params
        .get("model")
        .and_then(Json::as_str)
        .map(str::to_string)
        .or_else(|| config.model.clone());
    Ok(ProviderResponse {
        text,
        input_tokens: None,
        output_tokens: None,
        latency_ms: started.elapsed().as_millis().try_into().unwrap_or(u64::MAX),
        model,
        finish_reason: Some("stop".into()),
        tool_calls: None,
    })
}

/// The prompt as plain text: user messages only (a text prompt) are their contents joined by
/// blank lines; a conversation is `role: content` blocks.
pub(super) fn prompt_text(messages: &[ChatMessage]) -> String {
    if messages.iter().all(|m| m.role == MessageRole::User) {
        return messages
            .iter()
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    messages
        .iter()
        .map(|m| format!("{}: {}", m.role.as_str(), m.content))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Kills the process group the command leads (best effort: it may be gone already).
async fn kill_group(pid: u32) {
    let _ = tokio::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: MessageRole, content: &str) -> ChatMessage {
        ChatMessage {
            role,
            content: content.into(),
        }
    }

    #[test]
    fn prompt_text_of_text_and_chat_prompts() {
        assert_eq!(prompt_text(&[msg(MessageRole::User, "Hello")]), "Hello");
        assert_eq!(
            prompt_text(&[
                msg(MessageRole::System, "Be brief."),
                msg(MessageRole::User, "Hi")
            ]),
            "system: Be brief.\n\nuser: Hi"
        );
    }
}

//! Why a model gave no answer: one line each, saying what to do, never holding an API key.

/// Why a model gave no answer. Each message is one line and says what to do; none contains an
/// API key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    #[error(
        "provider `{provider}` needs an API key: set the environment variable {var} (it is read at each request, never stored)"
    )]
    MissingKey { provider: String, var: String },
    #[error("the model API answered HTTP {status}: {message}{}", http_hint(*status))]
    Http { status: u16, message: String },
    #[error(
        "no answer within {secs} s: raise the provider's timeout_secs or check that the server is not overloaded"
    )]
    Timeout { secs: u64 },
    #[error("cannot reach the model API ({0}): check base_url and that the server is running")]
    Connect(String),
    #[error(
        "unexpected answer from the model API ({0}): check that base_url points at the right API"
    )]
    Malformed(String),
    #[error("{0}")]
    Command(String),
    #[error("the request was cancelled")]
    Cancelled,
    #[error("bad provider configuration: {0}")]
    Config(String),
}

fn http_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => " (check the API key in the provider's api_key_env variable)",
        404 => " (check base_url and the model name)",
        429 => " (rate limited: lower the concurrency or set the provider's rpm)",
        500..=599 => " (the server failed: try again later)",
        400..=499 => " (check the request parameters)",
        _ => "",
    }
}

impl ProviderError {
    /// Whether trying again may help: 429, 5xx, connection errors and timeouts.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Http { status, .. } => *status == 429 || (500..=599).contains(status),
            Self::Timeout { .. } | Self::Connect(_) => true,
            _ => false,
        }
    }
}

/// `text` cut to its first non-empty line (at most 300 characters), with anything that looks
/// like a credential masked: the key itself, `Bearer ...` tokens and `sk-...` words.
pub(crate) fn one_line(text: &str, key: Option<&str>) -> String {
    let mut line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string();
    if let Some(key) = key.filter(|k| !k.is_empty()) {
        line = line.replace(key, "***");
    }
    let mut words: Vec<String> = Vec::new();
    let mut after_bearer = false;
    for word in line.split(' ') {
        let masked = if after_bearer && !word.is_empty() {
            "***".to_string()
        } else if let Some(at) = secret_start(word) {
            format!("{}sk-***", &word[..at])
        } else {
            word.to_string()
        };
        after_bearer = word.eq_ignore_ascii_case("bearer");
        words.push(masked);
    }
    let line = words.join(" ");
    match line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// Where an `sk-...` key starts in `word`: `sk-` at the start or after punctuation, followed
/// by at least six more characters (so `disk-full` and `task-list` stay as they are).
fn secret_start(word: &str) -> Option<usize> {
    word.match_indices("sk-").map(|(at, _)| at).find(|&at| {
        let starts_word = word[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        starts_word && word.len() >= at + 9
    })
}

/// Names the provider in errors whose text comes from a parser that does not know it.
pub(super) fn with_provider(name: &str, error: ProviderError) -> ProviderError {
    match error {
        ProviderError::Malformed(message) => {
            ProviderError::Malformed(format!("provider `{name}`: {message}"))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_errors() {
        let http = |status| ProviderError::Http {
            status,
            message: "x".into(),
        };
        assert!(http(429).is_retryable());
        assert!(http(500).is_retryable());
        assert!(http(503).is_retryable());
        assert!(!http(400).is_retryable());
        assert!(!http(401).is_retryable());
        assert!(ProviderError::Timeout { secs: 1 }.is_retryable());
        assert!(ProviderError::Connect("x".into()).is_retryable());
        assert!(!ProviderError::Malformed("x".into()).is_retryable());
        assert!(!ProviderError::Cancelled.is_retryable());
    }

    #[test]
    fn one_line_cuts_and_masks() {
        assert_eq!(one_line("\n  first \nsecond", None), "first");
        assert_eq!(
            one_line("Incorrect API key provided: sk-proj-abcdef123456.", None),
            "Incorrect API key provided: sk-***"
        );
        assert_eq!(
            one_line("bad header Authorization: Bearer abc.def", None),
            "bad header Authorization: Bearer ***"
        );
        assert_eq!(
            one_line("key topsecret rejected", Some("topsecret")),
            "key *** rejected"
        );
        assert_eq!(one_line(&"x".repeat(400), None).chars().count(), 301);
        assert_eq!(
            one_line("disk-quota-exceeded on task-runner-service", None),
            "disk-quota-exceeded on task-runner-service"
        );
        assert_eq!(one_line("key=sk-abcdef12345", None), "key=sk-***");
    }
}

//! Quoting text in reasons: one line, cut to a readable length.

/// The longest quote in a reason, in characters.
pub const QUOTE_CHARS: usize = 80;

/// `text` in backticks on one line, cut to [`QUOTE_CHARS`] with an ellipsis.
pub fn q(text: &str) -> String {
    format!("`{}`", cut(&one_line(text), QUOTE_CHARS))
}

/// `text` around the byte range `start..end` (a match), with some context on each side.
pub fn around(text: &str, start: usize, end: usize) -> String {
    const CONTEXT: usize = 25;
    let before = &text[..start];
    let skip = before.chars().count().saturating_sub(CONTEXT);
    let head: String = before.chars().skip(skip).collect();
    let tail: String = text[end..].chars().take(CONTEXT).collect();
    let matched = cut(&text[start..end], QUOTE_CHARS - 2 * CONTEXT);
    let open = if skip > 0 { "…" } else { "" };
    let close = if text[end..].chars().nth(CONTEXT).is_some() {
        "…"
    } else {
        ""
    };
    format!(
        "`{open}{}{}{}{close}`",
        one_line(&head),
        one_line(&matched),
        one_line(&tail)
    )
}

/// The 1-based character position of byte offset `at` in `text`.
pub fn char_pos(text: &str, at: usize) -> usize {
    text[..at].chars().count() + 1
}

fn one_line(text: &str) -> String {
    text.replace('\r', "").replace('\n', "⏎").replace('\t', " ")
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_one_line_and_short() {
        assert_eq!(q("a\nb"), "`a⏎b`");
        let long = "x".repeat(200);
        let quoted = q(&long);
        assert_eq!(quoted.chars().count(), QUOTE_CHARS + 2);
        assert!(quoted.ends_with("…`"));
    }

    #[test]
    fn context_surrounds_a_match() {
        let text = format!("{}refund{}", "a".repeat(40), "b".repeat(40));
        let shown = around(&text, 40, 46);
        assert!(shown.starts_with("`…aaa"), "{shown}");
        assert!(shown.contains("refund"));
        assert!(shown.ends_with("bbb…`"), "{shown}");
        assert_eq!(around("refund", 0, 6), "`refund`");
        assert_eq!(char_pos("héllo", 3), 3);
    }
}

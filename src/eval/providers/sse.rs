//! Server-sent events: an incremental parser fed with the body's chunks as they arrive.
//!
//! Follows the WHATWG event-stream rules that matter for model APIs: lines end with `\n`,
//! `\r\n` or `\r`; `event:` names the event, `data:` lines are joined with `\n`, a blank line
//! dispatches; lines starting with `:` are comments; one optional space after the colon is
//! dropped. Chunks may split anywhere, even inside a UTF-8 character.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, `message` when absent.
    pub event: String,
    pub data: String,
}

/// Parses an event stream chunk by chunk.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of the line being read (not yet terminated).
    line: Vec<u8>,
    /// A `\r` ended the last line: a `\n` right after it belongs to the same line end.
    after_cr: bool,
    event: Option<String>,
    data: Option<String>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one chunk; returns the events it completed, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        for &byte in chunk {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.line_done(&String::from_utf8_lossy(&line)) {
                        events.push(event);
                    }
                }
                _ => self.line.push(byte),
            }
        }
        events
    }

    /// Ends the stream: an event whose blank line never came is still delivered (some servers
    /// close right after the last `data:` line).
    pub fn finish(&mut self) -> Option<SseEvent> {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            let _ = self.line_done(&String::from_utf8_lossy(&line));
        }
        self.dispatch()
    }

    fn line_done(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        let data = self.data.take()?;
        Some(SseEvent {
            event: event
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "message".into()),
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_chunks(input: &[u8], size: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        let mut events: Vec<SseEvent> = input.chunks(size).flat_map(|c| parser.feed(c)).collect();
        events.extend(parser.finish());
        events
    }

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn openai_style_stream() {
        let input = b"data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n";
        let expected = vec![
            ev("message", "{\"a\":1}"),
            ev("message", "{\"a\":2}"),
            ev("message", "[DONE]"),
        ];
        for size in 1..input.len() {
            assert_eq!(parse_in_chunks(input, size), expected, "chunk size {size}");
        }
    }

    #[test]
    fn anthropic_style_named_events_with_crlf() {
        let input = b"event: message_start\r\ndata: {\"x\":1}\r\n\r\n: keep-alive\r\n\r\nevent: ping\r\ndata:{}\r\n\r\n";
        let expected = vec![ev("message_start", "{\"x\":1}"), ev("ping", "{}")];
        for size in 1..input.len() {
            assert_eq!(parse_in_chunks(input, size), expected, "chunk size {size}");
        }
    }

    #[test]
    fn multi_line_data_bare_cr_and_unterminated_tail() {
        let input = b"data: one\rdata: two\r\rdata: tail";
        assert_eq!(
            parse_in_chunks(input, 3),
            vec![ev("message", "one\ntwo"), ev("message", "tail")]
        );
    }

    #[test]
    fn utf8_split_across_chunks() {
        let input = "data: héllo ✓\n\n".as_bytes();
        for size in 1..input.len() {
            assert_eq!(parse_in_chunks(input, size), vec![ev("message", "héllo ✓")]);
        }
    }

    #[test]
    fn events_without_data_are_not_dispatched() {
        assert!(parse_in_chunks(b"event: ping\n\n\n", 4).is_empty());
    }
}

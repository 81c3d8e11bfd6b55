//! Times as people read them.

/// "3 minutes ago", "2 days ago", or the date for anything older than a month.
pub fn relative_time(rfc3339: &str) -> String {
    let Ok(then) = rfc3339.parse::<jiff::Timestamp>() else {
        return rfc3339.to_string();
    };
    let secs = jiff::Timestamp::now().as_second() - then.as_second();
    let plural = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match secs {
        ..=9 => "just now".into(),
        10..=59 => plural(secs, "second"),
        60..=3599 => plural(secs / 60, "minute"),
        3600..=86_399 => plural(secs / 3600, "hour"),
        86_400..=2_591_999 => plural(secs / 86_400, "day"),
        _ => then.strftime("%Y-%m-%d").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_speech() {
        let ago = |secs: i64| {
            (jiff::Timestamp::now() - jiff::SignedDuration::from_secs(secs)).to_string()
        };
        assert_eq!(relative_time(&ago(2)), "just now");
        assert_eq!(relative_time(&ago(125)), "2 minutes ago");
        assert_eq!(relative_time(&ago(3600)), "1 hour ago");
        assert_eq!(relative_time(&ago(3 * 86_400)), "3 days ago");
        assert_eq!(relative_time("2020-01-02T03:04:05Z"), "2020-01-02");
        assert_eq!(relative_time("garbage"), "garbage");
    }
}

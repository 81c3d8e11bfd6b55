//! JUnit XML, which CI systems read: one test suite per version × provider, one test case per
//! dataset case (and repeat), failures with every failing assertion's reason.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::domain::eval::{CaseResult, RunInfo, TestCase, case_label};

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot hold most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The run's results as a JUnit XML document.
pub fn to_junit(run: &RunInfo, results: &[CaseResult], cases: &[TestCase]) -> String {
    let mut suites: BTreeMap<(u32, &str), Vec<&CaseResult>> = BTreeMap::new();
    for r in results {
        suites
            .entry((r.version, r.provider.as_str()))
            .or_default()
            .push(r);
    }
    let name_of = |id: &str| case_label(cases, id);
    let total = results.len();
    let failures = results
        .iter()
        .filter(|r| !r.pass && r.error.is_none())
        .count();
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"galley eval {} {}\" tests=\"{total}\" failures=\"{failures}\" errors=\"{errors}\">",
        escape(&run.prompt),
        escape(&run.id)
    );
    for ((version, provider), rs) in &suites {
        let f = rs.iter().filter(|r| !r.pass && r.error.is_none()).count();
        let e = rs.iter().filter(|r| r.error.is_some()).count();
        let time: f64 = rs.iter().map(|r| r.latency_ms as f64 / 1000.0).sum();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{} v{version} {}\" tests=\"{}\" failures=\"{f}\" errors=\"{e}\" time=\"{time:.3}\">",
            escape(&run.prompt),
            escape(provider),
            rs.len()
        );
        for r in rs {
            let mut name = name_of(&r.case_id);
            if run.repeat > 1 {
                name.push_str(&format!(" #{}", r.repeat + 1));
            }
            let _ = write!(
                xml,
                "    <testcase classname=\"{}.v{version}.{}\" name=\"{}\" time=\"{:.3}\"",
                escape(&run.prompt),
                escape(provider),
                escape(&name),
                r.latency_ms as f64 / 1000.0
            );
            if let Some(error) = &r.error {
                let _ = writeln!(
                    xml,
                    ">\n      <error message=\"{}\"/>\n    </testcase>",
                    escape(error)
                );
            } else if !r.pass {
                let reasons: Vec<String> = r
                    .assertions
                    .iter()
                    .filter(|a| !a.pass)
                    .map(|a| format!("{}: {}", a.kind, a.reason))
                    .collect();
                let message = reasons
                    .first()
                    .cloned()
                    .unwrap_or_else(|| format!("score {:.2}", r.score));
                let _ = writeln!(
                    xml,
                    ">\n      <failure message=\"{}\">{}</failure>\n      <system-out>{}</system-out>\n    </testcase>",
                    escape(&message),
                    escape(&reasons.join("\n")),
                    escape(r.output.as_deref().unwrap_or(""))
                );
            } else {
                xml.push_str("/>\n");
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

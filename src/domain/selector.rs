//! Ways to point at a version or a section from the command line.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::content::PromptContent;

/// A version of a prompt, or the user's draft of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionRef {
    Latest,
    Number(u32),
    Draft,
}

impl FromStr for VersionRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "draft" => Ok(Self::Draft),
            "latest" | "head" => Ok(Self::Latest),
            other => other
                .trim_start_matches('v')
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .map(Self::Number)
                .ok_or_else(|| {
                    format!("`{s}` is not a version: use a number (1, 2, ...), `latest` or `draft`")
                }),
        }
    }
}

impl fmt::Display for VersionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Latest => f.write_str("latest"),
            Self::Number(n) => write!(f, "v{n}"),
            Self::Draft => f.write_str("draft"),
        }
    }
}

impl PromptContent {
    /// Finds a section by 1-based position, by title (case-insensitive) or by kind when exactly
    /// one section has it.
    pub fn find_section(&self, selector: &str) -> Result<usize, String> {
        let wanted = selector.trim();
        if let Ok(n) = wanted.parse::<usize>() {
            return if n >= 1 && n <= self.sections.len() {
                Ok(n - 1)
            } else {
                Err(format!(
                    "there is no section {n}: the prompt has {}",
                    self.sections.len()
                ))
            };
        }
        if let Some(i) = self
            .sections
            .iter()
            .position(|s| s.title.eq_ignore_ascii_case(wanted))
        {
            return Ok(i);
        }
        if let Ok(kind) = wanted.parse::<super::SectionKind>() {
            let matches: Vec<usize> = (0..self.sections.len())
                .filter(|&i| self.sections[i].kind == kind)
                .collect();
            if matches.len() == 1 {
                return Ok(matches[0]);
            }
            if matches.len() > 1 {
                return Err(format!(
                    "{} sections have kind `{kind}`: name one by title or number",
                    matches.len()
                ));
            }
        }
        let titles: Vec<String> = self
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{} `{}`", i + 1, s.title))
            .collect();
        Err(format!(
            "no section `{wanted}` (sections: {})",
            titles.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PromptType, Section, SectionKind};

    #[test]
    fn parses_version_refs() {
        assert_eq!("draft".parse::<VersionRef>().unwrap(), VersionRef::Draft);
        assert_eq!("3".parse::<VersionRef>().unwrap(), VersionRef::Number(3));
        assert_eq!("v12".parse::<VersionRef>().unwrap(), VersionRef::Number(12));
        assert!("0".parse::<VersionRef>().is_err());
        assert!("x".parse::<VersionRef>().unwrap_err().contains("`x`"));
    }

    #[test]
    fn finds_sections_by_number_title_and_kind() {
        let mut c = PromptContent::blank(PromptType::Text);
        c.sections
            .push(Section::new(SectionKind::Custom, "Tone", None, ""));
        c.sections
            .push(Section::new(SectionKind::Custom, "Style", None, ""));
        assert_eq!(c.find_section("2"), Ok(1));
        assert_eq!(c.find_section("output format"), Ok(4));
        assert_eq!(c.find_section("guardrails"), Ok(3));
        assert_eq!(c.find_section("tone"), Ok(5));
        assert!(c.find_section("custom").unwrap_err().contains("2 sections"));
        assert!(c.find_section("9").unwrap_err().contains("has 7"));
        assert!(c.find_section("nope").unwrap_err().contains("1 `Role`"));
    }
}

//! Keys as data: (context, key) → action, from `assets/keymap.toml` plus the user's overrides.
//! The status-bar hints and the help overlay are generated from here, so they never drift.

use std::collections::BTreeMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// Where a key is pressed: the focused pane (or `Global`, the fallback for every pane).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    List,
    Sections,
    Editor,
    Variables,
    Preview,
    History,
    Diff,
    Playground,
    EvalRuns,
    EvalResults,
    EvalDetail,
    EvalCompare,
    ReviewQueue,
    ReviewDiff,
    ReviewThreads,
    Deploy,
    Monitor,
    Welcome,
}

impl Context {
    /// Every context, in help order.
    pub const ALL: [Context; 19] = [
        Self::Global,
        Self::List,
        Self::Sections,
        Self::Editor,
        Self::Variables,
        Self::Preview,
        Self::History,
        Self::Diff,
        Self::Playground,
        Self::EvalRuns,
        Self::EvalResults,
        Self::EvalDetail,
        Self::EvalCompare,
        Self::ReviewQueue,
        Self::ReviewDiff,
        Self::ReviewThreads,
        Self::Deploy,
        Self::Monitor,
        Self::Welcome,
    ];

    /// The context's name in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::List => "list",
            Self::Sections => "sections",
            Self::Editor => "editor",
            Self::Variables => "variables",
            Self::Preview => "preview",
            Self::History => "history",
            Self::Diff => "diff",
            Self::Playground => "playground",
            Self::EvalRuns => "eval-runs",
            Self::EvalResults => "eval-results",
            Self::EvalDetail => "eval-detail",
            Self::EvalCompare => "eval-compare",
            Self::ReviewQueue => "review-queue",
            Self::ReviewDiff => "review-diff",
            Self::ReviewThreads => "review-threads",
            Self::Deploy => "deploy",
            Self::Monitor => "monitor",
            Self::Welcome => "welcome",
        }
    }

    /// Whether global bindings apply here too. The editor takes every key as text except the
    /// few it binds itself.
    fn inherits_global(self) -> bool {
        self != Self::Editor
    }
}

/// A key with its modifiers, as written in keymaps (`ctrl-p`, `J`, `backtab`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Chord {
    code: KeyCodeOrd,
    ctrl: bool,
    alt: bool,
}

/// `KeyCode` without the variants keymaps never use, ordered so help lists are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum KeyCodeOrd {
    Char(char),
    F(u8),
    Named(&'static str),
}

const NAMED: [(&str, KeyCode); 14] = [
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("delete", KeyCode::Delete),
    ("backspace", KeyCode::Backspace),
];

impl Chord {
    /// The chord a key event is, if keymaps can name it.
    pub fn from_event(key: KeyEvent) -> Option<Self> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        let code = match key.code {
            KeyCode::Char(' ') => KeyCodeOrd::Named("space"),
            // Terminals report Ctrl-letters in either case; keymaps use lowercase.
            KeyCode::Char(c) if ctrl => KeyCodeOrd::Char(c.to_ascii_lowercase()),
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) if shift => {
                return Some(Self {
                    code: KeyCodeOrd::Named(shift_f(n)?),
                    ctrl,
                    alt,
                });
            }
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Tab if shift => KeyCodeOrd::Named("backtab"),
            other => KeyCodeOrd::Named(NAMED.iter().find(|(_, k)| *k == other)?.0),
        };
        Some(Self { code, ctrl, alt })
    }

    /// Parses `ctrl-p`, `alt-x`, `shift-tab`, `J`, `?`, `f3`, `shift-f3`, `space`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rest = text;
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else if rest.len() > 1 && lower.starts_with("shift-") {
                shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let bad = || format!("unknown key `{text}`");
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if ctrl => KeyCodeOrd::Char(c.to_ascii_lowercase()),
            (Some(c), None) if shift => KeyCodeOrd::Char(c.to_ascii_uppercase()),
            (Some(c), None) => KeyCodeOrd::Char(c),
            _ => {
                let name = rest.to_ascii_lowercase();
                if let Some(n) = name.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    if shift {
                        KeyCodeOrd::Named(shift_f(n).ok_or_else(bad)?)
                    } else {
                        KeyCodeOrd::F(n)
                    }
                } else if name == "tab" && shift {
                    KeyCodeOrd::Named("backtab")
                } else if name == "space" {
                    KeyCodeOrd::Named("space")
                } else {
                    KeyCodeOrd::Named(NAMED.iter().find(|(n, _)| *n == name).ok_or_else(bad)?.0)
                }
            }
        };
        Ok(Self { code, ctrl, alt })
    }
}

fn shift_f(n: u8) -> Option<&'static str> {
    const NAMES: [&str; 12] = [
        "shift-f1",
        "shift-f2",
        "shift-f3",
        "shift-f4",
        "shift-f5",
        "shift-f6",
        "shift-f7",
        "shift-f8",
        "shift-f9",
        "shift-f10",
        "shift-f11",
        "shift-f12",
    ];
    NAMES.get(usize::from(n).checked_sub(1)?).copied()
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "F{n}"),
            KeyCodeOrd::Named("backtab") => f.write_str("Shift-Tab"),
            KeyCodeOrd::Named("pageup") => f.write_str("PgUp"),
            KeyCodeOrd::Named("pagedown") => f.write_str("PgDn"),
            KeyCodeOrd::Named(name) if name.starts_with("shift-f") => {
                write!(f, "Shift-F{}", &name[7..])
            }
            KeyCodeOrd::Named(name) => {
                let mut c = name.chars();
                let first = c.next().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
                write!(f, "{first}{}", c.as_str())
            }
        }
    }
}

/// The keys every user can rely on; a config cannot rebind them.
const FIXED: [(&str, Action); 9] = [
    ("?", Action::Help),
    ("/", Action::Filter),
    ("tab", Action::FocusNext),
    ("backtab", Action::FocusPrev),
    (":", Action::Palette),
    ("ctrl-p", Action::Palette),
    ("esc", Action::Back),
    ("q", Action::Quit),
    ("ctrl-c", Action::ForceQuit),
];

/// The bindings of every context.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<Context, BTreeMap<Chord, Action>>,
}

/// User keymap overrides: context name → key → action name.
pub type KeymapOverrides = BTreeMap<String, BTreeMap<String, String>>;

impl Keymap {
    /// The embedded defaults with `overrides` applied (only the keys they name change).
    pub fn load(overrides: &KeymapOverrides) -> Result<Self, String> {
        let defaults: KeymapOverrides =
            toml::from_str(DEFAULT_KEYMAP).map_err(|e| format!("embedded keymap: {e}"))?;
        let mut map = Self {
            bindings: BTreeMap::new(),
        };
        map.apply(&defaults, false)?;
        map.apply(overrides, true)?;
        Ok(map)
    }

    fn apply(&mut self, table: &KeymapOverrides, user: bool) -> Result<(), String> {
        for (context_name, keys) in table {
            let context = Context::ALL
                .into_iter()
                .find(|c| c.name() == context_name)
                .ok_or_else(|| format!("keymap: unknown context `{context_name}`"))?;
            for (key, action) in keys {
                let chord =
                    Chord::parse(key).map_err(|e| format!("keymap [{context_name}]: {e}"))?;
                if user
                    && FIXED
                        .iter()
                        .any(|(k, _)| Chord::parse(k).ok() == Some(chord))
                {
                    return Err(format!(
                        "keymap [{context_name}]: `{key}` is a fixed key and cannot be rebound"
                    ));
                }
                let action: Action = action
                    .parse()
                    .map_err(|e| format!("keymap [{context_name}] `{key}`: {e}"))?;
                self.bindings
                    .entry(context)
                    .or_default()
                    .insert(chord, action);
            }
        }
        Ok(())
    }

    /// The action a key triggers in `context` (falling back to the global bindings).
    pub fn action(&self, context: Context, key: KeyEvent) -> Option<Action> {
        let chord = Chord::from_event(key)?;
        let local = self
            .bindings
            .get(&context)
            .and_then(|b| b.get(&chord))
            .copied();
        local.or_else(|| {
            context
                .inherits_global()
                .then(|| {
                    self.bindings
                        .get(&Context::Global)
                        .and_then(|b| b.get(&chord))
                        .copied()
                })
                .flatten()
        })
    }

    /// The bindings of one context (without the global ones), for help and hints.
    pub fn bindings(&self, context: Context) -> Vec<(Chord, Action)> {
        self.bindings
            .get(&context)
            .map(|b| b.iter().map(|(k, a)| (*k, *a)).collect())
            .unwrap_or_default()
    }

    /// The keys bound to `action` in `context` or globally, as text ("j/Down").
    pub fn keys_for(&self, context: Context, action: Action) -> Option<String> {
        let mut keys: Vec<String> = [context, Context::Global]
            .iter()
            .flat_map(|c| self.bindings(*c))
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| k.to_string())
            .collect();
        keys.dedup();
        (!keys.is_empty()).then(|| keys.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn defaults_cover_fixed_keys_everywhere_but_the_editor() {
        let map = Keymap::load(&KeymapOverrides::new()).unwrap();
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.action(Context::List, q), Some(Action::Quit));
        assert_eq!(
            map.action(Context::Editor, q),
            None,
            "q is text in the editor"
        );
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(map.action(Context::Editor, ctrl_c), Some(Action::ForceQuit));
        let backtab = key(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(map.action(Context::Diff, backtab), Some(Action::FocusPrev));
        let big_j = key(KeyCode::Char('J'), KeyModifiers::SHIFT);
        assert_eq!(
            map.action(Context::Sections, big_j),
            Some(Action::SectionMoveDown)
        );
    }

    #[test]
    fn user_overrides_only_the_keys_they_name() {
        let mut overrides = KeymapOverrides::new();
        overrides.insert(
            "sections".into(),
            [("x".to_string(), "section-delete".to_string())].into(),
        );
        let map = Keymap::load(&overrides).unwrap();
        let x = key(KeyCode::Char('x'), KeyModifiers::NONE);
        let d = key(KeyCode::Char('d'), KeyModifiers::NONE);
        assert_eq!(
            map.action(Context::Sections, x),
            Some(Action::SectionDelete)
        );
        assert_eq!(
            map.action(Context::Sections, d),
            Some(Action::SectionDelete)
        );

        overrides.insert(
            "list".into(),
            [("q".to_string(), "down".to_string())].into(),
        );
        assert!(Keymap::load(&overrides).unwrap_err().contains("fixed key"));
        let mut bad = KeymapOverrides::new();
        bad.insert("list".into(), [("j".to_string(), "fly".to_string())].into());
        assert!(
            Keymap::load(&bad)
                .unwrap_err()
                .contains("unknown action `fly`")
        );
    }

    #[test]
    fn chords_parse_and_print() {
        for (text, shown) in [
            ("ctrl-p", "Ctrl-p"),
            ("shift-tab", "Shift-Tab"),
            ("J", "J"),
            ("pagedown", "PgDn"),
            ("shift-f3", "Shift-F3"),
            ("space", "Space"),
        ] {
            assert_eq!(Chord::parse(text).unwrap().to_string(), shown);
        }
        assert!(Chord::parse("hyper-x").is_err());
    }
}

//! What a call costs: a price table per model (embedded from `assets/prices.toml`, overridable in
//! the config), and token counts estimated with tiktoken when a provider reports none.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

const DEFAULT_PRICES: &str = include_str!("../../assets/prices.toml");

/// A model's price in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct ModelPrice {
    pub input: f64,
    pub output: f64,
}

/// Prices by model name prefix.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    prices: BTreeMap<String, ModelPrice>,
}

#[derive(Deserialize)]
struct PriceFile {
    prices: BTreeMap<String, ModelPrice>,
}

impl PriceTable {
    /// The embedded prices with `overrides` (from the config) on top.
    pub fn load(overrides: &BTreeMap<String, ModelPrice>) -> Self {
        let file: PriceFile =
            toml::from_str(DEFAULT_PRICES).expect("the embedded price table parses");
        let mut prices = file.prices;
        prices.extend(overrides.iter().map(|(k, v)| (k.clone(), *v)));
        Self { prices }
    }

    /// The price of `model`: the entry with the longest name that the model's name starts with.
    pub fn price(&self, model: &str) -> Option<ModelPrice> {
        let model = model.rsplit('/').next().unwrap_or(model);
        self.prices
            .iter()
            .filter(|(prefix, _)| model.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, price)| *price)
    }

    /// The cost of a call, when the model has a price.
    pub fn cost(&self, model: &str, input_tokens: u64, output_tokens: u64) -> Option<f64> {
        let price = self.price(model)?;
        Some(
            (input_tokens as f64 * price.input + output_tokens as f64 * price.output) / 1_000_000.0,
        )
    }
}

/// An estimate of the tokens in `text` for `model` (o200k for the gpt-4o/4.1/5 and o-series,
/// cl100k otherwise). The encoders load once, on first use.
pub fn estimate_tokens(model: &str, text: &str) -> u64 {
    static O200K: OnceLock<Option<tiktoken_rs::CoreBPE>> = OnceLock::new();
    static CL100K: OnceLock<Option<tiktoken_rs::CoreBPE>> = OnceLock::new();
    let modern = ["gpt-4o", "gpt-4.1", "gpt-5", "o1", "o3", "o4"]
        .iter()
        .any(|p| model.starts_with(p));
    let bpe = if modern {
        O200K.get_or_init(|| tiktoken_rs::o200k_base().ok())
    } else {
        CL100K.get_or_init(|| tiktoken_rs::cl100k_base().ok())
    };
    match bpe {
        Some(bpe) => bpe.encode_with_special_tokens(text).len() as u64,
        // Roughly four characters a token, if the encoder could not load.
        None => (text.chars().count() as u64).div_ceil(4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_overrides_apply() {
        let mut overrides = BTreeMap::new();
        overrides.insert(
            "llama3".to_string(),
            ModelPrice {
                input: 0.1,
                output: 0.2,
            },
        );
        let table = PriceTable::load(&overrides);
        assert_eq!(table.price("gpt-4o-mini-2024-07-18").unwrap().input, 0.15);
        assert_eq!(table.price("gpt-4o-2024-08-06").unwrap().input, 2.50);
        assert_eq!(table.price("openai/gpt-4o-mini").unwrap().output, 0.60);
        assert_eq!(table.price("llama3:8b").unwrap().output, 0.2);
        assert!(table.price("mystery-model").is_none());
        let cost = table.cost("gpt-4o-mini", 1_000_000, 500_000).unwrap();
        assert!((cost - 0.45).abs() < 1e-9);
    }

    #[test]
    fn estimates_tokens() {
        let n = estimate_tokens("gpt-4o", "The quick brown fox jumps over the lazy dog.");
        assert!((8..=12).contains(&n), "{n}");
        assert_eq!(estimate_tokens("claude-3-5-haiku", ""), 0);
    }
}

//! Environment badges: which version each environment serves, short enough for the prompt list
//! at 80 columns (`d4 s4 p3`) and spelled out where there is room (`dev4 stg4 prod3`).

/// The short name of an environment: `dev`, `stg`, `prod`, or its first four letters.
pub fn abbreviation(env: &str) -> String {
    match env {
        "development" => "dev".into(),
        "staging" => "stg".into(),
        "production" => "prod".into(),
        other => other.chars().take(4).collect(),
    }
}

/// `dev4 stg4 prod3` when it fits in `room` characters, else `d4 s4 p3`; empty when nothing is
/// served.
pub fn badges(served: &[(String, u32)], room: usize) -> String {
    let long = served
        .iter()
        .map(|(env, v)| format!("{}{v}", abbreviation(env)))
        .collect::<Vec<_>>()
        .join(" ");
    if long.chars().count() <= room {
        return long;
    }
    served
        .iter()
        .map(|(env, v)| format!("{}{v}", env.chars().next().unwrap_or('?')))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The environments serving version `number`, as `prod stg`.
pub fn serving(served: &[(String, u32)], number: u32) -> String {
    served
        .iter()
        .filter(|(_, v)| *v == number)
        .map(|(env, _)| abbreviation(env))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badges_shrink_to_fit() {
        let served = vec![
            ("development".to_string(), 4),
            ("staging".to_string(), 4),
            ("production".to_string(), 3),
        ];
        assert_eq!(badges(&served, 20), "dev4 stg4 prod3");
        assert_eq!(badges(&served, 10), "d4 s4 p3");
        assert_eq!(serving(&served, 4), "dev stg");
        assert_eq!(serving(&served, 2), "");
    }
}

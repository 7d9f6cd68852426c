//! Suggestions of close names for a name that matched nothing.

/// Up to three candidates close to `wanted`, closest first.
pub fn suggest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let wanted = wanted.to_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let lc = c.to_lowercase();
            let score = strsim::jaro_winkler(&wanted, &lc);
            let close = score >= 0.8 || (wanted.len() >= 3 && lc.contains(&wanted));
            close.then_some((score, c))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::suggest;

    #[test]
    fn close_names_are_suggested_and_far_ones_not() {
        let names = ["contoso", "fabrikam", "northwind", "Contoso-EU"];
        let s = suggest("contso", names);
        assert_eq!(s.first().map(String::as_str), Some("contoso"));
        assert!(!s.contains(&"northwind".to_string()));
        assert!(suggest("zzzzzz", names).is_empty());
    }
}

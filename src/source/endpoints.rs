//! The only place that knows the production hosts of the Microsoft identity
//! platform, Microsoft Graph and Azure Resource Manager. Each base URL can be
//! overridden by environment (`NFA_LOGIN_URL`, `NFA_GRAPH_URL`,
//! `NFA_ARM_URL`), so that tests run against a local server.

/// The Microsoft identity platform (token endpoint).
pub fn login_url() -> String {
    base("NFA_LOGIN_URL", "https://login.microsoftonline.com")
}

/// Microsoft Graph.
pub fn graph_url() -> String {
    base("NFA_GRAPH_URL", "https://graph.microsoft.com")
}

/// Azure Resource Manager.
pub fn arm_url() -> String {
    base("NFA_ARM_URL", "https://management.azure.com")
}

/// The token scope of Microsoft Graph (an identifier, not an address).
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// The token scope of Azure Resource Manager.
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";

fn base(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
        .trim_end_matches('/')
        .to_string()
}

//! `nfa settings [list] | get KEY | set KEY VALUE`.

use super::Env;
use crate::error::Outcome;
use crate::ops::settings;
use crate::ops::settings::SettingView;
use crate::render::Format;
use crate::render::{Column, Columns, Kind};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Every setting with its value and default
    List,
    /// One setting's value (plain text in table output, for scripts)
    Get {
        /// display-automated-tasks, refresh-window, stale-after, inactive-after,
        /// dormant-after, keep-history or heartbeat-timeout
        key: String,
    },
    /// Change a setting; an unknown key or invalid value changes nothing
    #[command(after_long_help = crate::domain::settings::KEYS_HELP)]
    Set {
        key: String,
        /// true/false, or a duration such as 90s, 45m, 6h, 30d
        value: String,
    },
}

pub fn run(env: &Env, args: Args) -> Result<Outcome> {
    let store = env.store()?;
    match args.cmd.unwrap_or(Cmd::List) {
        Cmd::List => env.out.all(settings::list(&store)?)?,
        Cmd::Get { key } => {
            let s = settings::get(&store, &key)?;
            match env.out.format {
                Format::Table => env.out.line(&s.value)?,
                _ => env.out.one(&s)?,
            }
        }
        Cmd::Set { key, value } => {
            store.authorize(crate::domain::role::Action::SetSettings)?;
            let s = settings::set(&store, &key, &value)?;
            match env.out.format {
                Format::Table => env.out.line(&format!("{} = {}", s.key, s.value))?,
                _ => env.out.one(&s)?,
            }
        }
    }
    Ok(Outcome::Success)
}

impl Columns for SettingView {
    const CSV: &'static [&'static str] = &["key", "value", "default", "is_default", "description"];
    const COLUMNS: &'static [Column] = &[
        Column::new("key", "key", Kind::Id),
        Column::new("value", "value", Kind::Id),
        Column::new("default", "default", Kind::Id).drop(1),
        Column::new("description", "description", Kind::Text),
    ];
}

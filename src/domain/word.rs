//! The closed vocabularies of the domain (statuses, kinds, levels, …): each
//! enum derives its words with `strum`, and this trait gives them one way to
//! be written, read back and listed.

use std::str::FromStr;
use strum::VariantArray;

/// A word that is not one of its vocabulary's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} '{value}' (expected one of {})", .expected.join(", "))]
pub struct WordError {
    /// What the word was meant to be ("task status").
    pub what: &'static str,
    /// The text given.
    pub value: String,
    /// The words accepted.
    pub expected: Vec<&'static str>,
}

/// A closed vocabulary: written as [`Word::as_str`], read back by
/// [`Word::parse`] (any case, surrounding blanks ignored, the aliases its
/// `strum` attributes list), listed by [`VariantArray::VARIANTS`].
pub trait Word:
    Sized + Copy + Eq + FromStr + VariantArray + Into<&'static str> + Send + Sync + 'static
{
    /// How errors name the vocabulary.
    const WHAT: &'static str;

    fn as_str(self) -> &'static str {
        self.into()
    }

    fn parse(text: &str) -> Result<Self, WordError> {
        text.trim().parse().map_err(|_| WordError {
            what: Self::WHAT,
            value: text.to_string(),
            expected: Self::VARIANTS.iter().map(|v| v.as_str()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::log::Level;
    use crate::domain::status::{AccountStatus, Lifecycle};
    use crate::domain::task::{TaskKind, TaskStatus};

    fn round_trips<W: Word + std::fmt::Debug>() {
        for w in W::VARIANTS {
            assert_eq!(W::parse(w.as_str()), Ok(*w));
            assert_eq!(
                W::parse(&format!(" {} ", w.as_str().to_lowercase())),
                Ok(*w)
            );
        }
    }

    #[test]
    fn every_word_reads_back_in_any_case() {
        round_trips::<AccountStatus>();
        round_trips::<Lifecycle>();
        round_trips::<TaskKind>();
        round_trips::<TaskStatus>();
        round_trips::<Level>();
        round_trips::<crate::domain::policy::Decision>();
        round_trips::<crate::domain::task::Origin>();
    }

    #[test]
    fn aliases_are_read_and_never_written() {
        assert_eq!(TaskStatus::parse("in progress"), Ok(TaskStatus::InProgress));
        assert_eq!(TaskStatus::parse("In-Progress"), Ok(TaskStatus::InProgress));
        assert_eq!(TaskStatus::InProgress.as_str(), "IN_PROGRESS");
        assert_eq!(
            TaskKind::parse("update ad cache"),
            Ok(TaskKind::UpdateAdCache)
        );
        assert_eq!(TaskKind::UpdateAdCache.as_str(), "UpdateAdCache");
        assert_eq!(TaskKind::UpdateAdCache.to_string(), "UpdateAdCache");
        assert_eq!(Level::parse("warning"), Ok(Level::Warn));
        assert_eq!(Level::Warn.as_str(), "WARN");
    }

    #[test]
    fn a_wrong_word_names_its_vocabulary_and_the_words() {
        let e = TaskStatus::parse("done").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid task status 'done' (expected one of PENDING, IN_PROGRESS, COMPLETE, ERROR)"
        );
    }
}

//! The JSON sink: one array for a list (streamed, opened with its first
//! item so that an error before any row leaves nothing), one object for one
//! thing, one object a line for an endless stream.

use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// A list as one JSON array, streamed.
pub struct JsonList {
    count: usize,
}

impl JsonList {
    pub fn new() -> JsonList {
        JsonList { count: 0 }
    }

    pub fn push<T: Serialize>(&mut self, out: &mut impl Write, item: &T) -> Result<()> {
        out.write_all(if self.count > 0 { b",\n  " } else { b"[\n  " })?;
        serde_json::to_writer(&mut *out, item)?;
        self.count += 1;
        Ok(())
    }

    pub fn finish(&mut self, out: &mut impl Write) -> Result<()> {
        out.write_all(if self.count > 0 { b"\n]\n" } else { b"[]\n" })?;
        Ok(())
    }
}

/// One thing as a pretty object.
pub fn one(out: &mut impl Write, value: &serde_json::Value) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// One item of an endless stream: an object a line.
pub fn stream_item<T: Serialize>(out: &mut impl Write, item: &T) -> Result<()> {
    serde_json::to_writer(&mut *out, item)?;
    writeln!(out)?;
    Ok(())
}

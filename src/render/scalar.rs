//! One field's value as a scalar, read straight from its `Serialize` impl
//! (no JSON value built: one allocation for a string, none for a number);
//! anything else as its JSON text.

use super::flat::Error;
use serde::ser::{self, Serialize};
use std::fmt;

/// A field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    /// A list or an object, as JSON text.
    Json(String),
}

impl Scalar {
    /// As text: scalars as they are, `null` empty, the rest as JSON.
    pub fn text(&self) -> String {
        match self {
            Scalar::Null => String::new(),
            Scalar::Str(s) | Scalar::Json(s) => s.clone(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(n) => n.to_string(),
            Scalar::UInt(n) => n.to_string(),
            Scalar::Float(n) => {
                serde_json::Number::from_f64(*n).map_or_else(String::new, |n| n.to_string())
            }
        }
    }
}

/// A field's value: a scalar, or JSON text for anything else. Scalars are
/// read straight from the value (no JSON value built: one allocation for a
/// string, none for a number).
pub(super) fn scalar<T: Serialize + ?Sized>(value: &T) -> Result<Scalar, Error> {
    match value.serialize(Leaf) {
        Err(Error(e)) if e == COMPOUND => {
            let json = serde_json::to_string(value).map_err(|e| Error(e.to_string()))?;
            Ok(Scalar::Json(json))
        }
        other => other,
    }
}

/// What [`Leaf`] answers for a value that is not a scalar.
const COMPOUND: &str = "\0compound";

/// The serializer of one field's value, for scalars only.
struct Leaf;

fn compound<T>() -> Result<T, Error> {
    Err(Error(COMPOUND.to_string()))
}

impl ser::Serializer for Leaf {
    type Ok = Scalar;
    type Error = Error;
    type SerializeSeq = ser::Impossible<Scalar, Error>;
    type SerializeTuple = ser::Impossible<Scalar, Error>;
    type SerializeTupleStruct = ser::Impossible<Scalar, Error>;
    type SerializeTupleVariant = ser::Impossible<Scalar, Error>;
    type SerializeMap = ser::Impossible<Scalar, Error>;
    type SerializeStruct = ser::Impossible<Scalar, Error>;
    type SerializeStructVariant = ser::Impossible<Scalar, Error>;

    fn serialize_bool(self, v: bool) -> Result<Scalar, Error> {
        Ok(Scalar::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Scalar, Error> {
        Ok(i64::try_from(v).map_or(Scalar::UInt(v), Scalar::Int))
    }
    fn serialize_f32(self, v: f32) -> Result<Scalar, Error> {
        Ok(float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Scalar, Error> {
        Ok(float(v))
    }
    fn serialize_char(self, v: char) -> Result<Scalar, Error> {
        Ok(Scalar::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Scalar, Error> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Scalar, Error> {
        compound()
    }
    fn serialize_none(self) -> Result<Scalar, Error> {
        Ok(Scalar::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Scalar, Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Scalar, Error> {
        Ok(Scalar::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Scalar, Error> {
        Ok(Scalar::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Scalar, Error> {
        Ok(Scalar::Str(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Scalar, Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Scalar, Error> {
        compound()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        compound()
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        compound()
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        compound()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        compound()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        compound()
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        compound()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        compound()
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, v: &T) -> Result<Scalar, Error> {
        Ok(Scalar::Str(v.to_string()))
    }
}

/// A float as JSON has it (NaN and infinities are null).
fn float(v: f64) -> Scalar {
    if v.is_finite() {
        Scalar::Float(v)
    } else {
        Scalar::Null
    }
}

/// A JSON value as a [`Scalar`] (for the one-thing views).
pub fn to_scalar(v: &serde_json::Value) -> Scalar {
    match v {
        serde_json::Value::Null => Scalar::Null,
        serde_json::Value::Bool(b) => Scalar::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Scalar::Int(i),
            (None, Some(u)) => Scalar::UInt(u),
            _ => Scalar::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Scalar::Str(s.clone()),
        other => Scalar::Json(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_as_serde_json_reads_them() {
        #[derive(serde::Serialize)]
        enum Kind {
            UpdateAdCache,
        }
        #[derive(serde::Serialize)]
        struct Id(u64);
        let cases: Vec<(serde_json::Value, Scalar)> = vec![
            (serde_json::json!(u64::MAX), scalar(&u64::MAX).unwrap()),
            (serde_json::json!(-3), scalar(&-3i32).unwrap()),
            (serde_json::json!(1.5), scalar(&1.5f64).unwrap()),
            (serde_json::json!(null), scalar(&f64::NAN).unwrap()),
            (serde_json::json!(null), scalar(&None::<i64>).unwrap()),
            (serde_json::json!(true), scalar(&true).unwrap()),
            (serde_json::json!("x"), scalar(&'x').unwrap()),
            (
                serde_json::json!("UpdateAdCache"),
                scalar(&Kind::UpdateAdCache).unwrap(),
            ),
            (serde_json::json!(7), scalar(&Id(7)).unwrap()),
            (
                serde_json::json!({"a": [1]}),
                scalar(&serde_json::json!({"a": [1]})).unwrap(),
            ),
        ];
        for (json, got) in cases {
            assert_eq!(to_scalar(&json), got, "{json}");
        }
    }
}
